#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# lock-all before system suspend, as homed's LockAllHomes: it locks (sessions
# kept) the active homes all of whose login sessions opted in (pam_homefs
# suspend=yes) and freezes their processes, so that a writer of the user's
# cannot hang the system's freeze waiting for the key; a home with a session
# without suspend= stays unlocked; a home whose processes cannot be frozen is
# named, and deactivated instead with --deactivate-unfrozen.
. "$(dirname "$0")/lib.sh"
need_privileges
command -v cryptsetup >/dev/null || skip_all "cryptsetup (cryptsetup-bin) is not installed"
command -v pamtester >/dev/null || skip_all "pamtester is not installed (apt install pamtester)"
MOD=$B/pam/pam_homefs.so

CG2=""
for root in /sys/fs/cgroup /sys/fs/cgroup/unified; do
        [ -f "$root/cgroup.controllers" ] && CG2=$root && break
done

start_agent
new_user_name U la
new_user_name V lb
ok "create a home" create_home "$U" pw-one
ok "create another" create_home "$V" pw-two
[ -n "$CG2" ] && on_cleanup "rmdir '$CG2/homefs/$U' '$CG2/homefs/$V'"

# The session's pam_exec script (session s1) starts a writer of the user's in the home
# (a child of the login process: in the session's cgroup), which appends to
# a file in the home and counts its writes outside it.
S=$(mktemp -d /tmp/homefs-lock-all.XXXXXX)
on_cleanup "rm -rf '$S'"
chmod 755 "$S"
cat >"$S/hold" <<SH
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] || exit 0
[ "\$PAM_TTY" = s1 ] && setpriv --reuid=\$PAM_USER --regid=\$PAM_USER --clear-groups sh -c '
        n=0; while :; do echo \$n >>$T/home/\$PAM_USER/w || exit 1; n=\$((n+1)); echo \$n >$S/count.\$PAM_USER.tmp; mv -f $S/count.\$PAM_USER.tmp $S/count.\$PAM_USER; done' &
echo \$! >"$S/writer.\$PAM_TTY"
echo "\$PPID" >"$S/pid.\$PAM_TTY"
while [ ! -e "$S/release.\$PAM_TTY" ] && kill -0 "\$PPID" 2>/dev/null; do sleep 0.05; done
kill \$(cat "$S/writer.\$PAM_TTY") 2>/dev/null
exit 0
SH
chmod 755 "$S/hold"
chmod 1777 "$S"  # sticky: the user writes here, but cannot replace root's files (a script pam_exec runs as root)
ARGS="runtime_dir=$HOMEFS_RUNTIME_DIR state_dir=$HOMEFS_STATE_DIR"
install_pam_service SUSP susp <<EOF2
auth     required $MOD $ARGS
account  required $MOD $ARGS
session  required $MOD $ARGS suspend=yes
session  optional pam_exec.so quiet $S/hold
EOF2
install_pam_service AWAKE awake <<EOF2
auth     required $MOD $ARGS
session  required $MOD $ARGS suspend=no
session  optional pam_exec.so quiet $S/hold
EOF2
pt() { with_pam_module pamtester "$@"; }
count() { cat "$S/count.$U" 2>/dev/null || echo 0; }

printf 'pw-one\n' | pt -I tty=s1 "$SUSP" "$U" authenticate open_session close_session >>"$T/pamtester.log" 2>&1 &
JOB1=$!
ok "a session with suspend=yes activates and holds the home" wait_until 20 sh -c "test \"\$(cat '$S/count.$U' 2>/dev/null || echo 0)\" -gt 10"
ok "the other home is activated by hand (no session)" unlock_home "$V" pw-two

OUT=$("$CTL" lock-all 2>&1); rc=$?
diag "$OUT"
ok "lock-all succeeds" test "$rc" -eq 0
ok "it locked the home whose only session said suspend=yes" test "$(home_state "$U")" = locked
ok "it locked the home without sessions" test "$(home_state "$V")" = locked
if [ -n "$CG2" ]; then
        ok "the session's processes are frozen, its writer among them" sh -c "
                grep -qx 'frozen 1' '$CG2/homefs/$U/cgroup.events' && grep -qx \"\$(cat '$S/writer.s1')\" '$CG2/homefs/$U/cgroup.procs'"
        c1=$(count); sleep 0.5; c2=$(count)
        ok "the writer makes no progress while locked ($c1, $c2)" test "$c1" = "$c2"
        ok "a home whose processes could not be frozen is named" grep -q "processes of $V could not be frozen" <<<"$OUT"
else
        diag "no cgroup v2: nothing can be frozen here"
        ok "both homes are named as not frozen" sh -c "grep -q 'processes of $U could not' <<<'$OUT' && grep -q 'processes of $V could not' <<<'$OUT'"
fi
ok "unlock resumes the session's home" unlock_home "$U" pw-one
c1=$(count)
ok "the writer goes on after unlock" wait_until 10 sh -c "test \"\$(cat '$S/count.$U')\" -gt $c1"
ok "unlock resumes the other" unlock_home "$V" pw-two

# A second session without suspend= keeps the home awake.
printf 'pw-one\n' | pt -I tty=s2 "$AWAKE" "$U" open_session close_session >>"$T/pamtester.log" 2>&1 &
JOB2=$!
two_sessions() { test "$(home_sessions "$U")" = 2; }
ok "a second session (suspend=no) holds the home too" wait_until 20 two_sessions
OUT=$("$CTL" lock-all --deactivate-unfrozen 2>&1); rc=$?
diag "$OUT"
ok "lock-all --deactivate-unfrozen succeeds" test "$rc" -eq 0
ok "a home with a session without suspend=yes stays active" test "$(home_state "$U")" = active
ok "lock-all says why" grep -q "Not locked: $U has a login session without suspend=yes" <<<"$OUT"
if [ -n "$CG2" ]; then
        ok "the home it could not freeze was deactivated instead" test "$(home_state "$V")" = inactive
fi
touch "$S/release.s1" "$S/release.s2"
wait "$JOB1" "$JOB2"
fails() { ! "$@"; }
ok "root only: a user cannot lock all homes" fails run_as "$U" "$CTL" lock-all

# A user's own AcquireSession does not move their process out of a cgroup an
# administrator put it in (where its limits apply): the agent moves only
# processes in the root cgroup (or its own cgroup of the user already).
if [ -n "$CG2" ]; then
        ADMIN_CG=$CG2/homefs-test-admin.$$
        mkdir "$ADMIN_CG"
        on_cleanup "rmdir '$ADMIN_CG'"
        cat >"$S/adopt.py" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
call = {"method": "io.homefs.Agent.AcquireSession", "parameters": {"userName": sys.argv[2], "password": "pw-two"}}
s.sendall(json.dumps(call).encode() + b"\0")
reply = b""
while not reply.endswith(b"\0"):
    reply += s.recv(4096)
cgroup = [l.strip() for l in open("/proc/self/cgroup") if l.startswith("0::")][0]
print("error" not in json.loads(reply[:-1]), cgroup, flush=True)
while s.recv(1):
    pass
PY
        sh -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' sh "$ADMIN_CG" \
                setpriv --reuid="$V" --regid="$V" --clear-groups "$PYTHON" "$S/adopt.py" \
                "$HOMEFS_RUNTIME_DIR/agent.sock" "$V" >"$S/adopt.out" &
        adopter=$!
        ok "a user's process in an administrator's cgroup takes a session" wait_until 20 grep -q "^True" "$S/adopt.out"
        diag "$(cat "$S/adopt.out")"
        ok "and stays in that cgroup" grep -q "0::/homefs-test-admin.$$\$" "$S/adopt.out"
        kill "$adopter"; wait "$adopter"
fi
finish
