#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# sync-writer.py DIR LIST: a write load with durability promises. Forever:
# write file number i (64 KiB, content known from i, i in its first line)
# into DIR/s<i mod SLOTS> by write-temp, fsync, rename, fsync directory, and
# only then append i to LIST (outside the home). Meanwhile stream unsynced
# data into DIR/stream (a ring of STREAM_MAX bytes). Exits 0 at the first
# failing operation (the home was locked, a daemon killed).
#
# sync-writer.py --verify DIR LIST: for every slot, the file holds a valid i
# at least as new as the last i LIST promised for that slot.
import hashlib
import os
import sys

SLOTS = 256
STREAM_MAX = 32 << 20


def content(i):
    return b"%d\n" % i + hashlib.sha256(str(i).encode()).digest() * 2048


def write_one(d, dfd, i):
    tmp = os.path.join(d, "tmp")
    with open(tmp, "wb", buffering=0) as f:
        f.write(content(i))
        os.fsync(f.fileno())
    os.rename(tmp, os.path.join(d, "s%d" % (i % SLOTS)))
    os.fsync(dfd)


def main():
    d, listing = sys.argv[1], sys.argv[2]
    dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    stream = open(os.path.join(d, "stream"), "wb", buffering=0)
    with open(listing, "a") as log:
        i = 0
        while True:
            try:
                write_one(d, dfd, i)
                if stream.tell() >= STREAM_MAX:
                    stream.seek(0)
                stream.write(content(i))
            except OSError as e:
                print("writer stops at %d: %s" % (i, e), file=sys.stderr)
                return 0
            log.write("%d\n" % i)
            log.flush()
            i += 1


def verify():
    d, listing = sys.argv[2], sys.argv[3]
    promised = {}
    for line in open(listing):
        i = int(line)
        promised[i % SLOTS] = i
    bad = 0
    for slot, i in promised.items():
        try:
            data = open(os.path.join(d, "s%d" % slot), "rb").read()
            have = int(data.split(b"\n", 1)[0])
            good = have >= i and data == content(have)
        except (OSError, ValueError):
            good = False
        if not good:
            bad += 1
            print("s%d: lost or wrong (promised %d)" % (slot, i), file=sys.stderr)
    n = len(open(listing).readlines())
    print("%d fsynced writes, %d slots checked, %d bad" % (n, len(promised), bad), file=sys.stderr)
    return 0 if promised and bad == 0 else 1


if __name__ == "__main__":
    sys.exit(verify() if sys.argv[1] == "--verify" else main())
