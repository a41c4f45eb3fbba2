#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The agent on a host: it tells the service manager when it is ready
# ($NOTIFY_SOCKET) and logs with syslog priorities to the journal's stream
# ($JOURNAL_STREAM); every failed credential attempt leaves one line (user,
# method, caller uid and pid, never the secret); passwd follows the record
# (update, and a repair at start); the sleep hook locks homes only when asked.
. "$(dirname "$0")/lib.sh"
need_privileges
HOOK=$B/dist/homefs
[ -f "$HOOK" ] || { echo "Bail out! $HOOK is not built"; exit 1; }

# The service manager's side of sd_notify: every datagram, with whether the
# agent's socket existed when it came.
cat >"$T/notify.py" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
s.settimeout(60)
with open(sys.argv[3], "a", buffering=1) as out:
    for _ in range(2):
        msg = s.recv(4096).decode()
        out.write("%s SOCKET=%s\n" % (msg.replace("\n", " "), "yes" if os.path.exists(sys.argv[2]) else "no"))
EOF
"$PYTHON" "$T/notify.py" "$T/notify.sock" "$HOMEFS_RUNTIME_DIR/agent.sock" "$T/notify.out" &
NOTIFY_PID=$!
on_cleanup "kill $NOTIFY_PID"
wait_until 10 test -S "$T/notify.sock" || fail_now "the notify listener did not start"
touch "$T/agent.log"
NOTIFY_SOCKET=$T/notify.sock JOURNAL_STREAM=$(stat -c %d:%i "$T/agent.log") start_agent
ok "the agent says READY=1 once its socket listens" wait_until 10 grep -q "READY=1 .*SOCKET=yes" "$T/notify.out"
ok "its log lines carry syslog priorities on the journal's stream (<6> info)" grep -q "^<6>homefs-agent: ready" "$T/agent.log"
no_notify_inherited() {
        local p
        for p in $(our_pids); do
                [ "$p" = "$AGENT_PID" ] && continue # its own (initial) environment: it took the variable out
                tr '\0' '\n' <"/proc/$p/environ" | grep -q '^NOTIFY_SOCKET=' && return 1
        done
        return 0
}

new_user_name U o
create_home "$U" pw-right --real-name="Ann Example" >&2 || fail_now "create a home"
ok "the home's front does not inherit NOTIFY_SOCKET" no_notify_inherited

# Failed attempts, each from a process whose pid we know.
remember_secret pw-wrong-1
remember_secret pw-wrong-2
remember_secret pw-wrong-3
UID_U=$(id -u "$U")
mkdir -m 1777 "$T/pids"
attempt() { # attempt PIDFILE COMMAND... (as the user, the secret on stdin)
        local f=$1; shift
        run_as "$U" bash -c 'echo $$ >"$0"; exec "$@"' "$f" "$@"
}
fails_attempt() { local input=$1; shift; ! printf "$input" | attempt "$@"; }
ok "a wrong password to unlock fails" fails_attempt 'pw-wrong-1\n' "$T/pids/1" "$CTL" unlock "$U"
audit_line() { # audit_line METHOD PIDFILE
        grep -q "^<4>homefs-agent: failed $1 attempt: user $U, method password, caller uid $UID_U pid $(cat "$2"): BadCredentials" "$T/agent.log"
}
ok "... and leaves one warning line: user, method, caller uid and pid" audit_line Unlock "$T/pids/1"
ok "a wrong password to authenticate fails" fails_attempt 'pw-wrong-2\n' "$T/pids/2" "$CTL" authenticate "$U"
ok "... and leaves its line" audit_line Authenticate "$T/pids/2"
ok "a wrong current password to passwd fails" fails_attempt 'pw-wrong-3\nnew-pw-x\nnew-pw-x\n' "$T/pids/3" "$CTL" passwd "$U"
ok "... and leaves its line" audit_line Passwd "$T/pids/3"
ok "one line per attempt" test "$(grep -c "failed .* attempt: user $U" "$T/agent.log")" = 3
ok "the right password still unlocks, and leaves no such line" sh -c "printf 'pw-right\n' | '$CTL' unlock '$U' && test \$(grep -c 'failed .* attempt' '$T/agent.log') = 3"

# The sleep hook: nothing by default, lock-all with LOCK_ON_SUSPEND=yes.
state_is() { test "$(home_state "$1")" = "$2"; }
hook() { HOMEFS_SLEEP_CONFIG=$T/sleep.conf HOMEFSCTL=$CTL sh "$HOOK" "$@"; } # as installed, less the mode
ok "sleep hook without a setting: runs" hook pre
ok "... and the home stays unlocked (sessions keep their files)" state_is "$U" unlocked
echo "LOCK_ON_SUSPEND=no" >"$T/sleep.conf"
ok "LOCK_ON_SUSPEND=no: the home stays unlocked" sh -c "$(declare -f hook); T='$T' HOOK='$HOOK' CTL='$CTL'; hook pre" 
ok "... still unlocked" state_is "$U" unlocked
echo "LOCK_ON_SUSPEND=yes" >"$T/sleep.conf"
ok "LOCK_ON_SUSPEND=yes: the hook locks every home before sleep" hook pre
ok "... the home is locked" state_is "$U" locked

# passwd follows the record.
gecos() { getent passwd "$U" | cut -d: -f5; }
pw_shell() { getent passwd "$U" | cut -d: -f7; }
ok "create put the record's real name in passwd" test "$(gecos)" = "Ann Example"
ok "update --real-name" "$CTL" update "$U" --real-name="Ann Other"
ok "... changes passwd too" test "$(gecos)" = "Ann Other"
ok "an invalid update is refused" sh -c "! '$CTL' update '$U' --real-name='a:b' 2>/dev/null"
ok "... and passwd is unchanged" test "$(gecos)" = "Ann Other"
ok "the passwd shell is the login shell (the stub), whatever the record's" test "$(pw_shell)" = "$LOGIN_SHELL"

ok "passwd edited by hand behind the agent's back" usermod -c "Wrong Name" "$U"
stop_agent
start_agent --login-shell=record
ok "at start the agent repairs passwd from the record" wait_until 10 sh -c "test \"\$(getent passwd '$U' | cut -d: -f5)\" = 'Ann Other'"
ok "... and says so in its log" grep -q "the passwd entry of $U differed from the record (real name, shell); repaired from the record" "$T/agent.log"
ok "... with --login-shell=record the passwd shell is the record's" test "$(pw_shell)" = /bin/bash
ok "update --shell" "$CTL" update "$U" --shell=/bin/sh
ok "... changes passwd too" test "$(pw_shell)" = /bin/sh

ok "remove the home" "$CTL" remove "$U"
stop_agent
ok "the agent said STOPPING=1 on its way out" wait_until 10 grep -q "STOPPING=1" "$T/notify.out"
finish
