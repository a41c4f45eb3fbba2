#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# big-writer.py FILE MIB: write MIB blocks of 1 MiB, block i = its number and
# a fixed random-looking MiB, then fsync. big-writer.py --verify FILE MIB:
# read them back and compare. Small and steady in memory (one block buffer),
# so that it fits a small memory cgroup; the page cache is the pressure.
import hashlib
import os
import sys

MIB = 1 << 20


def base():
    seed = hashlib.sha512(b"homefs").digest()
    return (seed * (MIB // len(seed)))[:MIB]


def block(b, i):
    return b"%016d" % i + b[16:]


def write(path, n):
    b = base()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    for i in range(n):
        os.write(fd, block(b, i))
    os.fsync(fd)
    os.close(fd)
    return 0


def verify(path, n):
    b = base()
    bad = 0
    with open(path, "rb", buffering=0) as f:
        for i in range(n):
            data = f.read(MIB)
            if data != block(b, i):
                bad += 1
                if bad < 5:
                    print("block %d differs" % i, file=sys.stderr)
        if f.read(1):
            print("the file is longer than written", file=sys.stderr)
            bad += 1
    print("%d MiB read back, %d bad" % (n, bad), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1] == "--verify":
        sys.exit(verify(sys.argv[2], int(sys.argv[3])))
    sys.exit(write(sys.argv[1], int(sys.argv[2])))
