#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Lock with kernel passthrough, through the real agent: files are served by
# passthrough, a file opened before lock fails with EIO afterwards, and
# homefsctl deactivate names the processes that still have home files mapped
# (their mapped pages are the one thing a lock cannot take back).
. "$(dirname "$0")/lib.sh"
need_privileges
command -v cryptsetup >/dev/null || skip_all "cryptsetup (cryptsetup-bin) is not installed"

start_agent
new_user_name U m
H=$T/home/$U
ok "create a home" create_home "$U" "pass word"
ok "unlock it" unlock_home "$U" "pass word"
[ "$tap_failed" -eq 0 ] || fail_now "cannot go on without an unlocked home"

ok "write a 4 MiB file" dd if=/dev/urandom of="$H/mapped" bs=1M count=4 conv=fsync status=none
ok "write another" sh -c "echo plain >'$H/plain'"

# A process that maps the file and reads it, then waits; another that only
# holds an fd.
python3 -c '
import mmap, os, sys, time
f = open(sys.argv[1], "rb")
m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
m[:]                                    # fault every page in
open(sys.argv[2], "w").write("ready\n")
time.sleep(60)' "$H/mapped" "$T/mapper.ready" &
MAPPER=$!
exec 3<"$H/plain"
for _ in $(seq 100); do [ -e "$T/mapper.ready" ] && break; sleep 0.05; done
ok "the mapping process is ready" test -e "$T/mapper.ready"

OUT=$("$CTL" deactivate "$U" 2>&1); rc=$?
diag "$OUT"
ok "lock succeeds" test "$rc" -eq 0
listed() { grep -qE "^  $1 " <<<"$OUT"; }
ok "lock names the process that maps home files" grep -qE "^  $MAPPER python3\$" <<<"$OUT"
ok "lock does not name a process that only had an fd" eval '! listed $$'
# read(2) itself (cat would fstat first, which a locked home answers ENOKEY).
ok "read on an fd opened before lock fails with EIO" python3 -c '
import errno, os, sys
try:
    os.read(3, 10)
except OSError as e:
    sys.exit(e.errno != errno.EIO)
sys.exit(1)'
exec 3<&-
kill "$MAPPER" 2>/dev/null
wait "$MAPPER" 2>/dev/null

ok "unlock again" unlock_home "$U" "pass word"
ok "the data is intact" test "$(cat "$H/plain")" = plain
ok "lock with no mapping: --json has an empty mappedBy" sh -c \
        "'$CTL' deactivate --json=short '$U' | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)[\"mappedBy\"] != [])'"
finish
