#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# hog.py MIB READYFILE: take MIB of anonymous memory, touch every page so it
# is resident, create READYFILE, then wait to be killed. Makes the whole
# machine short of page cache.
import os
import sys
import time

n = int(sys.argv[1]) << 20
with open("/proc/self/oom_score_adj", "w") as f:
    f.write("1000")  # the first the OOM killer takes
hold = b"\1" * n  # filled by memset: every page resident, quickly
open(sys.argv[2], "w").close()
while True:
    time.sleep(60)
