#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Lock under load (issue 10, point 2): lock while writers are mid-stream.
# The writers get errors; nothing a write() returned for before the lock
# call returned is lost (synced or not); the lock returns in bounded time,
# also when something holds the filesystem (open fds, a cwd inside) and when
# homefsd does not answer at all (it is stopped).
. "$(dirname "$0")/lib.sh"
need_privileges

WRITER=$(dirname "$0")/helpers/sync-writer.py
PY=/usr/bin/python3
start_agent --front-timeout=3
new_user_name U ll
AS_U=(setpriv --reuid="$U" --regid="$U" --clear-groups)
H=$T/home/$U
PW='load pw'
ok "create a home" create_home "$U" "$PW"
[ "$tap_failed" -eq 0 ] || fail_now "cannot go on without a home"
ok "unlock" unlock_home "$U" "$PW"

for f in stream.list sync.list; do : >"$T/$f"; chown "$U" "$T/$f"; done
run_as "$U" mkdir "$H/sync"
"${AS_U[@]}" $PY "$WRITER" --stream "$H/stream" "$T/stream.list" 2>>"$T/writer.log" &
W1=$!
"${AS_U[@]}" $PY "$WRITER" "$H/sync" "$T/sync.list" 2>>"$T/writer.log" &
W2=$!
# Something else holds the filesystem: a cwd inside, an open fd.
"${AS_U[@]}" sh -c "cd '$H' && exec sleep 600" &
HOLDER=$!
exec 3>>"$H/held"
sleep 2
t0=$(date +%s%N)
ok "deactivate under load returns" "$CTL" deactivate "$U"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
diag "lock under load took $ms ms ($(wc -l <"$T/stream.list") blocks streamed, $(wc -l <"$T/sync.list") fsynced writes)"
ok "within 30 s" test "$ms" -lt 30000
both_gone() { ! kill -0 "$W1" 2>/dev/null && ! kill -0 "$W2" 2>/dev/null; }
ok "both writers got errors and stopped" wait_until 10 both_gone
kill -KILL "$W1" "$W2" 2>/dev/null; wait "$W1" "$W2" 2>/dev/null
ok "an fd held across the lock fails with EIO" bash -c "! echo x >&3 2>$T/held.err; grep -q 'Input/output error' $T/held.err"
exec 3>&- 2>/dev/null
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null
ok "inactive" test "$(home_state "$U")" = inactive

ok "unlock again" unlock_home "$U" "$PW"
ok "every block a write() returned for is there, unsynced as they were" \
        run_as "$U" $PY "$WRITER" --verify-stream "$H/stream" "$T/stream.list"
ok "every fsynced file is there" run_as "$U" $PY "$WRITER" --verify "$H/sync" "$T/sync.list"

# homefsd does not answer: the lock still completes, in bounded time.
front=$(pgrep -f "^$HOMEFSD $U\$")
kill -STOP "$front"
t0=$(date +%s%N)
ok "deactivate with homefsd stopped still succeeds" timeout 60 "$CTL" deactivate "$U"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
diag "lock with a stopped homefsd took $ms ms"
ok "in bounded time (front timeout 3 s + cryptdev stop grace)" test "$ms" -lt 20000
ok "the agent log says why" grep -q "homefsd for $U did not answer io.homefs.Front.Detach" "$T/agent.log"
ok "no loop device left after homefsd lets go" sh -c "kill -CONT $front; sleep 2; ! losetup -a | grep -qF '$HOMEFS_RUNTIME_DIR/'"
front_back() { test "$(home_state "$U")" = inactive; }
ok "the resumed homefsd registers again, locked" wait_until 10 front_back
ok "and the home unlocks again" unlock_home "$U" "$PW"
ok "with the data" run_as "$U" $PY "$WRITER" --verify "$H/sync" "$T/sync.list"

# The crypto engine hangs (stopped) under a writer: the lock still returns.
: >"$T/sync2.list"; chown "$U" "$T/sync2.list"
run_as "$U" mkdir "$H/sync2"
"${AS_U[@]}" $PY "$WRITER" "$H/sync2" "$T/sync2.list" 2>>"$T/writer.log" &
W3=$!
sleep 1
cd_pid=$(pgrep -f "^$CRYPTDEV .*$HOMEFS_RUNTIME_DIR/")
kill -STOP "$cd_pid"
t0=$(date +%s%N)
ok "deactivate with homefs-cryptdev stopped still returns" timeout 90 "$CTL" deactivate "$U"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
diag "lock with a stopped cryptdev took $ms ms"
ok "in bounded time (2 × front timeout 3 s + stop grace)" test "$ms" -lt 30000
ok "the agent log says what it had to do" grep -q "did not flush within 3 s: homefs-cryptdev (pid $cd_pid) is stuck" "$T/agent.log"
ok "the writer got an error" wait_until 10 eval '! kill -0 $W3 2>/dev/null'
kill -KILL "$W3" 2>/dev/null; wait "$W3" 2>/dev/null
ok "nothing left: no loop device, no cryptdev" sh -c "! losetup -a | grep -qF '$HOMEFS_RUNTIME_DIR/' && ! kill -0 $cd_pid 2>/dev/null"
ok "inactive" wait_until 10 front_back
ok "unlock again (e2fsck repairs what the kill cut off)" unlock_home "$U" "$PW"
ok "what was fsynced before the hang is there" run_as "$U" $PY "$WRITER" --verify "$H/sync2" "$T/sync2.list"
ok "deactivate" "$CTL" deactivate "$U"
ok "the filesystem is e2fsck -fn clean" image_fsck "$T/$U.home" "$PW"
diag "$(tr '\n' ';' <"$T/writer.log")"
ok "remove the home" "$CTL" remove "$U"
finish
