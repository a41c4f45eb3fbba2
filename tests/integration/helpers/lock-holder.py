#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# lock-holder.py STATUSDIR: run in a home (cwd) by the home's user, inside a
# login session. Holds "data" open for read and write and "mapped" mapped
# shared, says "ready", waits for a line on STATUSDIR/go (the test writes it
# after lock and unlock), then checks that everything still works and says
# "ok" or what failed in STATUSDIR/result.
import hashlib, mmap, os, sys

status = sys.argv[1]
f = open("data", "r+b")
f.write(b"A" * 4096)
f.flush()
os.fsync(f.fileno())
mf = open("mapped", "r+b")
m = mmap.mmap(mf.fileno(), 0)
digest = hashlib.sha256(m[:]).hexdigest()
open(os.path.join(status, "ready"), "w").write("ready\n")
open(os.path.join(status, "go")).readline()  # a FIFO: blocks until the test writes

errors = []
f.seek(0)
if f.read(4096) != b"A" * 4096:
    errors.append("read after unlock")
f.seek(0)
f.write(b"B" * 4096)
f.flush()
os.fsync(f.fileno())
if hashlib.sha256(m[:]).hexdigest() != digest:
    errors.append("mapping changed")
m[0:4] = b"ZZZZ"
m.flush()
if "data" not in os.listdir("."):
    errors.append("cwd")
open(os.path.join(status, "result"), "w").write(" ".join(errors) or "ok")
