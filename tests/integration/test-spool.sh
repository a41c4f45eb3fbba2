#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Cron jobs of a locked user: run-when-unlocked queues a job that runs
# exactly once after the next unlock, as the user, in the home, its output
# and exit status in the agent's log; --drop-if-locked exits 75; the queue
# is bounded, listed and cleared; the spool is root's, outside the home.
. "$(dirname "$0")/lib.sh"
need_privileges

start_agent
new_user_name U c
new_user_name V o
PW=cron-pw
H=$T/home/$U
ok "create a home" create_home "$U" "$PW"
ok "create another" create_home "$V" "$PW"
[ "$tap_failed" -eq 0 ] || fail_now "cannot go on without homes"
as_u() { setpriv --reuid="$U" --regid="$U" --clear-groups "$@"; }
queued() { "$CTL" queue --json=short "$U" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["jobs"]))'; }

ok "a locked home fails at once with ENOKEY" says_enokey as_u sh -c "echo x > '$H/cron-out'"
out=$(as_u "$CTL" run-when-unlocked -- sh -c 'echo "ran as $(id -un) in $(pwd)"; echo x >> "$HOME/count"; exit 3' 2>&1); rc=$?
ok "run-when-unlocked while locked queues (exit 0)" test "$rc" -eq 0
ok "and says so" sh -c "echo '$out' | grep -q 'queued sh as job'"
ok "the queue holds it" test "$(queued)" -eq 1
ok "the user lists their queue" sh -c "setpriv --reuid='$U' --regid='$U' --clear-groups '$CTL' queue | grep -q 'echo x'"
ok "another user may not" sh -c "! setpriv --reuid='$V' --regid='$V' --clear-groups '$CTL' queue '$U' 2>/dev/null"
ok "queue a job that lists its open fds" as_u "$CTL" -q run-when-unlocked -- ls /proc/self/fd
ok "queue a job that shows its signal mask and ignored signals" as_u "$CTL" -q run-when-unlocked -- grep -E '^Sig(Blk|Ign):' /proc/self/status
as_u "$CTL" run-when-unlocked --drop-if-locked -- touch "$H/dropped" >&2; rc=$?
ok "--drop-if-locked exits 75" test "$rc" -eq 75
ok "--drop-if-locked queues nothing" test "$(queued)" -eq 3
SPOOL=$HOMEFS_STATE_DIR/spool/$U
ok "the spool is root's, mode 0700, outside the home" test "$(stat -c '%U %a' "$SPOOL")" = "root 700"
ok "the user cannot read the spool" sh -c "! setpriv --reuid='$U' --regid='$U' --clear-groups ls '$SPOOL' 2>/dev/null"

ok "unlock" unlock_home "$U" "$PW"
for _ in $(seq 100); do [ "$(grep -c "exited with status" "$T/agent.log")" -ge 2 ] && break; sleep 0.1; done
ok "the job ran once" test "$(cat "$H/count" 2>/dev/null)" = x
ok "as the user" test "$(stat -c %U "$H/count")" = "$U"
ok "its output is in the log" grep -q "of $U: ran as $U in $H" "$T/agent.log"
ok "its exit status is in the log" grep -q "of $U: exited with status 3" "$T/agent.log"
ok "jobs ran in order" sh -c "grep 'of $U: running' '$T/agent.log' | head -1 | grep -q 'running sh'"
# ls's fds: 0 1 2, and 3 for the directory it reads; nothing of the agent's.
ok "a job inherits only stdin, stdout and stderr" sh -c "grep -q 'of $U: 3\$' '$T/agent.log' && ! grep -qE 'of $U: ([4-9]|[0-9]{2,})\$' '$T/agent.log'"
# (The log escapes the job's output: the tab shows as \t.)
ok "a job blocks no signal (the agent blocks TERM, INT, HUP)" grep -qF "of $U: SigBlk:\t0000000000000000" "$T/agent.log"
ok "a job ignores no signal (the agent ignores PIPE)" grep -qF "of $U: SigIgn:\t0000000000000000" "$T/agent.log"
ok "the queue is empty" test "$(queued)" -eq 0
ok "lock" "$CTL" lock "$U"
ok "unlock again" unlock_home "$U" "$PW"
sleep 0.5
ok "the job did not run again" test "$(wc -l < "$H/count")" -eq 1
out=$(as_u "$CTL" run-when-unlocked -- sh -c "echo now > '$H/now'; exit 4" 2>&1); rc=$?
ok "while unlocked it runs at once, status passed through" test "$rc" -eq 4 -a "$(cat "$H/now")" = now
ok "lock" "$CTL" lock "$U"

for i in $(seq 32); do as_u "$CTL" -q run-when-unlocked -- true "$i" || break; done
ok "32 jobs fit" test "$(queued)" -eq 32
as_u "$CTL" run-when-unlocked -- true 33 2>"$T/err"; rc=$?
ok "the 33rd is refused" test "$rc" -ne 0
ok "with a clear message" grep -q "queue of this home is full (32 jobs)" "$T/err"
ok "an oversized command is refused" sh -c "! setpriv --reuid='$U' --regid='$U' --clear-groups '$CTL' run-when-unlocked -- echo $(head -c 5000 /dev/zero | tr '\\0' x) 2>/dev/null"
ok "queue --clear" sh -c "'$CTL' queue --clear '$U' | grep -q 'Removed 32 queued jobs'"
ok "the queue is empty after --clear" test "$(queued)" -eq 0
ok "--drop-if-locked only with run-when-unlocked" sh -c "'$CTL' list --drop-if-locked; [ \$? -eq 2 ]"

# Strings users control reach root's terminal escaped, in every verb: a
# job's argv, a process name (inspect's holders, lock's mappedBy).
no_esc() { ! grep -q $'\x1b' "$1" && ! grep -q $'\a' "$1"; }
ok "queue a job whose argv holds terminal escapes and a newline" \
        as_u "$CTL" -q run-when-unlocked -- printf $'\e]0;owned\a\e[2Jline\nroot# '
"$CTL" queue "$U" >"$T/queue.out"
ok "queue prints no raw escape or bell" no_esc "$T/queue.out"
ok "... but the escaped text, on one line" grep -qF '\e]0;owned\x07\e[2Jline\nroot# ' "$T/queue.out"
ok "clear it" "$CTL" -q queue --clear "$U"
ok "unlock" unlock_home "$U" "$PW"
as_u /usr/bin/python3 - "$H" <<'PY' &
import ctypes, mmap, os, sys, time
os.chdir(sys.argv[1])
f = open("mapped", "w+b"); f.write(b"x" * 4096); f.flush()
m = mmap.mmap(f.fileno(), 4096)
ctypes.CDLL(None).prctl(15, b"\x1b[2J\nevil", 0, 0, 0)  # PR_SET_NAME
open("ready", "w").close()
time.sleep(60)
PY
HOLDER=$!
on_cleanup "kill $HOLDER"
ok "a process named with escapes holds and maps a home file" wait_until 20 test -e "$H/ready"
"$CTL" inspect "$U" >"$T/inspect.out"
ok "inspect prints no raw escape" no_esc "$T/inspect.out"
ok "... and shows the holder's name escaped" grep -qF '\e[2J\nevil' "$T/inspect.out"
"$CTL" lock "$U" >"$T/lock.out"
ok "lock prints no raw escape" no_esc "$T/lock.out"
ok "... and names the mapping process escaped" grep -qF '\e[2J\nevil' "$T/lock.out"
kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null

# A PAM login session that unlocks the home (AcquireSession with the
# password) runs the queue like any unlock. The session's connection is held
# until the job has run, as a login holds it.
ok "queue a job while locked" as_u "$CTL" -q run-when-unlocked -- touch "$H/by-session"
session_unlock() {
        remember_secret "$PW"
        python3 - "$HOMEFS_RUNTIME_DIR/agent.sock" "$U" "$PW" "$H/by-session" <<'PY'
import json, os, socket, sys, time
sock, user, pw, marker = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock)
s.sendall(json.dumps({"method": "io.homefs.Agent.AcquireSession",
                      "parameters": {"userName": user, "password": pw}}).encode() + b"\0")
reply = b""
while not reply.endswith(b"\0"):
    chunk = s.recv(65536)
    if not chunk:
        sys.exit("no reply")
    reply += chunk
if b'"error"' in reply:
    sys.exit(reply.decode())
for _ in range(100):
    if os.path.exists(marker):
        sys.exit(0)
    time.sleep(0.1)
sys.exit("the queued job did not run")
PY
}
ok "an unlock through a login session (AcquireSession with the password) runs the queued job" session_unlock
ok "the session's end locked the home" wait_state "$U" locked

# remove clears the spool, and a job runs only as the uid that queued it: a
# job left behind by a removed user never runs as the next user of the name.
new_user_name W r
HW=$T/home/$W
ok "create a home for the removal test" create_home "$W" "$PW"
ok "queue a job as that user" run_as "$W" "$CTL" -q run-when-unlocked -- sh -c 'echo stolen > "$HOME/stolen"'
SPOOL_W=$HOMEFS_STATE_DIR/spool/$W
JOB_W=$(cd "$SPOOL_W" && ls)
cp "$SPOOL_W/$JOB_W" "$T/$JOB_W"
OLD_UID=$(id -u "$W")
ok "remove the home" "$CTL" remove "$W"
ok "remove cleared the user's spool" test ! -e "$SPOOL_W"
ok "a new user gets the same name (another uid)" create_home "$W" "$PW" --uid=$((OLD_UID + 7))
ok "... and finds nothing queued" test "$("$CTL" queue --json=short "$W" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["jobs"]))')" -eq 0
# The old job planted back, as a spool left by an older agent would hold it.
mkdir -p "$SPOOL_W" && cp "$T/$JOB_W" "$SPOOL_W/"
ok "unlock the new home" unlock_home "$W" "$PW"
ok "the old job is dropped, not run" wait_until 10 grep -q "of $W was not queued by uid $((OLD_UID + 7)); dropped" "$T/agent.log"
ok "... it did not run as the new user" test ! -e "$HW/stolen"
ok "lock" "$CTL" lock "$W"
ok "remove the new home" "$CTL" remove "$W"

finish
