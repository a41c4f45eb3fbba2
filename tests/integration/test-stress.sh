#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# File system correctness under stress through an unlocked home (issue 10,
# point 3): fsx (random read/write/truncate/fallocate/punch/mmap/
# copy_file_range/fsync/reopen against an in-memory model) for 100,000
# operations in two files at once, then create/rename/link/unlink/mkdir/rmdir
# storms from several processes, each as the home's user; no mismatch, no
# inconsistency, the same homefsd throughout, nothing in the daemons' logs.
. "$(dirname "$0")/lib.sh"
need_privileges
FSX=$B/tests/stress/fsx
STORM=$B/tests/stress/storm
for x in "$FSX" "$STORM"; do [ -x "$x" ] || { echo "Bail out! $x is not built"; exit 1; }; done

start_agent
new_user_name U st
H=$T/home/$U
ok "create a home" create_home "$U" stress
ok "unlock" unlock_home "$U" stress
[ "$tap_failed" -eq 0 ] || fail_now "cannot go on without an unlocked home"
front=$(pgrep -f "^$HOMEFSD $U\$")
log_lines=$(wc -l <"$T/agent.log")
AS_U=(setpriv --reuid="$U" --regid="$U" --clear-groups)
SEED=${HOMEFS_STRESS_SEED:-$(date +%s)}
diag "seed $SEED (set HOMEFS_STRESS_SEED to replay)"

fsx_catches() { ! "$FSX" -N 2000 -S 1 -F 1000 "$T/fsx-selftest" 2>"$T/selftest.log" && grep -q FAILED "$T/selftest.log"; }
ok "the tester itself notices a corrupted byte" fsx_catches

t0=$(date +%s)
"${AS_U[@]}" "$FSX" -N 50000 -S "$SEED" "$H/fsx.a" 2>"$T/fsx.a.log" &
A=$!
"${AS_U[@]}" "$FSX" -N 50000 -S $((SEED + 1)) -l 1048576 -o 131072 "$H/fsx.b" 2>"$T/fsx.b.log" &
B_=$!
wait "$A"; ra=$?
wait "$B_"; rb=$?
diag "fsx: $(( $(date +%s) - t0 )) s; $(tail -1 "$T/fsx.a.log")"
diag "$(tail -1 "$T/fsx.b.log")"
ok "fsx: 50,000 ops on a 256 KiB file, no mismatch" test "$ra" -eq 0
ok "fsx: 50,000 ops on a 1 MiB file at the same time, no mismatch" test "$rb" -eq 0
[ "$ra" -eq 0 ] || sed 's/^/# /' "$T/fsx.a.log" | tail -40
[ "$rb" -eq 0 ] || sed 's/^/# /' "$T/fsx.b.log" | tail -40

"${AS_U[@]}" mkdir "$H/storm"
t0=$(date +%s)
ok "storm: 6 processes × 20,000 namespace ops, consistent after" \
        "${AS_U[@]}" "$STORM" -p 6 -N 20000 -S "$SEED" "$H/storm"
diag "storm: $(( $(date +%s) - t0 )) s"
ok "storm: the tree can be removed" "${AS_U[@]}" rm -rf "$H/storm"
ok "the same homefsd served it all" test "$(pgrep -f "^$HOMEFSD $U\$")" = "$front"
ok "the daemons logged nothing during the stress" test "$(wc -l <"$T/agent.log")" -eq "$log_lines"
ok "deactivate" "$CTL" deactivate "$U"
ok "the filesystem is e2fsck -fn clean" image_fsck "$T/$U.home" stress
ok "remove" "$CTL" remove "$U"
finish
