#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# search-key.py KEYHEX PID...: exit 1 if the key (or either XTS half) is
# found in the readable memory of any of the processes.
import re, sys
key = bytes.fromhex(sys.argv[1])
needles = [key, key[:32], key[32:]]
CHUNK = 16 << 20
HUGE = 64 << 30
found = False
for pid in sys.argv[2:]:
    try:
        maps = open("/proc/%s/maps" % pid).read().splitlines()
        mem = open("/proc/%s/mem" % pid, "rb", 0)
    except OSError:
        continue
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
        start, end, perms = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
        if perms[0] != "r" or "[vvar]" in line or "[vsyscall]" in line:
            continue
        # ASan's high shadow is one mapping of terabytes that only mirrors
        # the state of other memory: skip such; read the rest in chunks,
        # overlapping by a key's length.
        if end - start > HUGE:
            continue
        pos, tail = start, b""
        while pos < end:
            try:
                mem.seek(pos)
                chunk = mem.read(min(CHUNK, end - pos))
            except (OSError, ValueError, OverflowError):
                chunk = b""
            if not chunk:
                break
            data, tail = tail + chunk, chunk[-(len(key) - 1):]
            pos += len(chunk)
            for n in needles:
                if n in data:
                    print("key material found in pid %s at %s" % (pid, line))
                    found = True
sys.exit(1 if found else 0)
