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
#
# sync-writer.py --stream FILE LIST: write block i (64 KiB) at block
# i mod RING of FILE without any fsync, and append i to LIST once write()
# returned; --verify-stream FILE LIST: every block holds the last i LIST
# names for it, or the next (a write that returned but was not yet listed):
# a lock flushes everything written before it.
import hashlib
import os
import sys

SLOTS = 256
RING = 512
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


def stream():
    path, listing = sys.argv[2], sys.argv[3]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(listing, "a") as log:
        i = 0
        while True:
            try:
                os.pwrite(fd, content(i)[:65536], (i % RING) * 65536)
            except OSError as e:
                print("stream writer stops at %d: %s" % (i, e), file=sys.stderr)
                return 0
            log.write("%d\n" % i)
            log.flush()
            i += 1


def verify_stream():
    path, listing = sys.argv[2], sys.argv[3]
    last = {}
    n = bad = 0
    for line in open(listing):
        i = int(line)
        last[i % RING] = i
        n += 1
    with open(path, "rb") as f:
        for pos, i in last.items():
            f.seek(pos * 65536)
            if f.read(65536) not in (content(i)[:65536], content(i + RING)[:65536]):
                bad += 1
                print("block %d: lost (written %d)" % (pos, i), file=sys.stderr)
    print("%d writes, %d blocks checked, %d bad" % (n, len(last), bad), file=sys.stderr)
    return 0 if n > 0 and bad == 0 else 1


if __name__ == "__main__":
    modes = {"--verify": verify, "--stream": stream, "--verify-stream": verify_stream}
    sys.exit(modes.get(sys.argv[1], main)())
