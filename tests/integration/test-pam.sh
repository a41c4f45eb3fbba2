#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# pam_homefs.so with the real libpam, through pamtester and a PAM service file
# of this run's own: auth unlocks, sessions hold the home and the last one
# locks it, a killed login releases its session, chauthtok re-keys, unknown
# users fall through to pam_unix, the account checks read the record.
. "$(dirname "$0")/lib.sh"
need_privileges
command -v pamtester >/dev/null || skip_all "pamtester is not installed (apt install pamtester)"
MOD=$B/pam/pam_homefs.so
[ -f "$MOD" ] || { echo "Bail out! $MOD is not built"; exit 1; }

start_agent
new_user_name U u
new_plain_user P p
create_home "$U" pw-one >&2 || fail_now "create a home"
echo "$P:plain-pw" | chpasswd

# A session that stays open until the test says so: pam_exec runs this after
# pam_homefs opened the session; it notes pamtester's pid in $T/pid.<tty>
# and waits for $T/release.<tty> (or for pamtester to die). The tty item
# (pamtester -I tty=NAME) names the session.
# (pam_exec gives it the PAM environment only, hence the path written in.)
cat >"$T/hold" <<SH
#!/bin/sh
[ "\$PAM_TYPE" = open_session ] && [ -n "\$PAM_TTY" ] || exit 0
echo "\$PPID" >"$T/pid.\$PAM_TTY"
while [ ! -e "$T/release.\$PAM_TTY" ] && kill -0 "\$PPID" 2>/dev/null; do sleep 0.05; done
exit 0
SH
chmod 755 "$T/hold"

ARGS="runtime_dir=$HOMEFS_RUNTIME_DIR state_dir=$HOMEFS_STATE_DIR debug"
install_pam_service SVC main <<EOF2
auth     [success=done user_unknown=ignore default=die] $MOD $ARGS
auth     required pam_unix.so
account  [success=ok user_unknown=ignore default=bad] $MOD $ARGS
account  required pam_unix.so
password [success=done user_unknown=ignore default=die] $MOD $ARGS
password required pam_unix.so
session  optional $MOD $ARGS
session  optional pam_exec.so quiet $T/hold
EOF2
install_pam_service ONLY only <<EOF2
auth     required $MOD $ARGS
EOF2

pt() { with_pam_module pamtester "$@"; }
# feed INPUT CMD...: INPUT (printf format, \n between answers) on stdin.
feed() { local in=$1; shift; printf "$in" | "$@"; }
fails() { ! "$@"; }
state_is() { test "$(home_state "$1")" = "$2"; }
sessions_are() { test "$(home_sessions "$1")" = "$2"; }
unlocked_with_sessions() { sessions_are "$1" "$2" && state_is "$1" active; }

# Start a held session NAME in the background (the job's pid in JOB_NAME).
held_session() { # held_session NAME PASSWORD-OR-EMPTY OPERATIONS...
        local name=$1 pw=$2; shift 2
        printf '%s\n' "$pw" | pt -I tty="$name" "$SVC" "$U" "$@" >>"$T/pamtester.log" 2>&1 &
        printf -v "JOB_$name" %s "$!"
}
release() { local j="JOB_$1"; touch "$T/release.$1"; wait "${!j}"; }
release_file() { touch "$T/release.$1"; }

ok "the home starts inactive" state_is "$U" inactive
ok "a wrong password fails" fails feed 'nope\n' pt "$SVC" "$U" authenticate
ok "... and leaves the home inactive" state_is "$U" inactive
ok "the right password authenticates" feed 'pw-one\n' pt "$SVC" "$U" authenticate
ok "... and unlocks the home" state_is "$U" active
ok "an unlocked home still checks the password" fails feed 'nope\n' pt "$SVC" "$U" authenticate
ok "... and stays active" state_is "$U" active

ok "deactivate for the session tests" "$CTL" deactivate "$U"
held_session s1 pw-one authenticate open_session close_session
ok "session 1 (auth + open_session) unlocks and holds the home" wait_until 20 unlocked_with_sessions "$U" 1
held_session s2 "" open_session close_session
ok "session 2 (open_session on the unlocked home) holds it too" wait_until 20 sessions_are "$U" 2
ok "session 1 closes" release s1
ok "... one session left, the home stays unlocked" unlocked_with_sessions "$U" 1
ok "session 2 closes" release s2
ok "... the last session closed: the home is inactive" state_is "$U" inactive
ok "... and no session is counted" sessions_are "$U" 0

held_session s3 pw-one authenticate open_session close_session
ok "a third session holds the home" wait_until 20 unlocked_with_sessions "$U" 1
ok "SIGKILL its pamtester" kill -KILL "$(cat "$T/pid.s3")"
wait "$JOB_s3" 2>/dev/null
ok "SIGKILL of the login process releases its session: the home deactivates" wait_until 20 state_is "$U" inactive
ok "... and no session is counted" sessions_are "$U" 0

# A deactivation ends every session: one taken before a manual deactivate
# neither counts after the next unlock nor deactivates the home when it ends.
held_session s4 pw-one authenticate open_session close_session
ok "session 4 holds the home" wait_until 20 unlocked_with_sessions "$U" 1
ok "deactivate by hand while session 4 is open" "$CTL" deactivate "$U"
ok "... the deactivation ended the session" sessions_are "$U" 0
ok "unlock by hand" feed 'pw-one\n' "$CTL" unlock "$U"
ok "... session 4 from before the deactivation does not count" unlocked_with_sessions "$U" 0
ok "session 4 closes" release s4
ok "... its end does not deactivate the home activated since" unlocked_with_sessions "$U" 0
ok "deactivate" "$CTL" deactivate "$U"

# homefsctl with: a login that began while the command ran keeps the home.
start_login_then_with() {
        # The command opens a session (without a password: the home is unlocked by then).
        printf 'pw-one\n' | "$CTL" with "$U" -- "$BASH" -c "
                $(declare -f with_pam_module build_is_sanitized pt); B='$B'; SVC='$SVC'; U='$U'; T='$T'
                printf '\n' | pt -I tty=w1 '$SVC' '$U' open_session close_session >>'$T/pamtester.log' 2>&1 &
                for _ in \$(seq 100); do [ -e '$T/pid.w1' ] && break; sleep 0.1; done" >&2
}
ok "with: a login session opened during the command" start_login_then_with
ok "... keeps the home unlocked after the command" wait_until 5 unlocked_with_sessions "$U" 1
ok "... until that session closes" release_file w1
ok "... then the home deactivates" wait_until 20 state_is "$U" inactive

ok "open_session of a locked home without a password holds nothing (the SSH stub asks later)" \
        pt "$SVC" "$U" open_session close_session
ok "... and the home stays inactive" state_is "$U" inactive

ok "chauthtok changes the password" feed 'pw-one\npw-two\npw-two\n' pt "$SVC" "$U" chauthtok
ok "... the old password is refused" fails feed 'pw-one\n' pt "$SVC" "$U" authenticate
ok "... the new one works" feed 'pw-two\n' pt "$SVC" "$U" authenticate
ok "chauthtok with a wrong current password fails" fails feed 'bad\nx\nx\n' pt "$SVC" "$U" chauthtok
ok "deactivate again" "$CTL" deactivate "$U"

says_user_unknown() { feed 'plain-pw\n' pt "$ONLY" "$P" authenticate 2>&1 | grep -q 'User not known'; }
ok "an unknown user: pam_homefs alone answers PAM_USER_UNKNOWN" says_user_unknown
ok "an unknown user falls through to pam_unix, which authenticates" feed 'plain-pw\n' pt "$SVC" "$P" authenticate
ok "... and its account and session pass" pt "$SVC" "$P" acct_mgmt open_session close_session
ok "the account check passes for the homefs user" pt "$SVC" "$U" acct_mgmt

# A real login: su -l started by an unprivileged user on a terminal (tmux),
# in a private mount namespace where /etc/pam.d/su-l is our stack, so that
# nothing outside this test sees the change.
su_login_test() {
        local tm="homefs-pam-$$" ns_pam="$T/su-l"
        cat >"$ns_pam" <<EOF2
auth     [success=done user_unknown=ignore default=die] $MOD $ARGS
auth     required pam_unix.so
account  [success=ok user_unknown=ignore default=bad] $MOD $ARGS
account  required pam_unix.so
session  required pam_unix.so
session  optional $MOD $ARGS
EOF2
        echo "a file written while unlocked" >"$T/secret-src"
        feed 'pw-two\n' "$CTL" unlock "$U" && cp "$T/secret-src" "$T/home/$U/note" && chown "$U" "$T/home/$U/note" &&
                "$CTL" deactivate "$U" || return 1
        on_cleanup "tmux -L '$tm' kill-server"
        unshare -m --propagation private sh -c "mount --bind '$ns_pam' /etc/pam.d/su-l &&
                exec tmux -L '$tm' new-session -d -x 200 -y 50 -s login 'runuser -u $P -- su -l $U'" || return 1
        wait_until 20 pane_has "$tm" "Password" || { echo "# no password prompt"; tmux -L "$tm" capture-pane -p -t login; return 1; }
        tmux -L "$tm" send-keys -t login 'pw-two' Enter
        # Input typed ahead of the shell may be flushed with the password's
        # terminal mode: type the command until the shell has run it.
        for _ in $(seq 20); do
                pane_has "$tm" "WHERE=$T/home/$U FILE=a file written" && return 0
                tmux -L "$tm" send-keys -t login 'echo "WHERE=$(pwd) FILE=$(cat note)"' Enter
                wait_until 1 pane_has "$tm" "WHERE=$T/home/$U FILE=a file written"
        done
        pane_has "$tm" "WHERE=$T/home/$U FILE=a file written" ||
                { echo "# the shell did not show the home:"; tmux -L "$tm" capture-pane -p -t login | sed 's/^/#   /'; return 1; }
}
pane_has() { tmux -L "$1" capture-pane -p -t login | grep -qF "$2"; }

if build_is_sanitized; then
        diag "su login: skipped in this build (a setuid su cannot load a sanitizer-built module); the plain build runs it"
else
        ok "su -l by an unprivileged user on a terminal: password at the prompt, the shell sits in the unlocked home" su_login_test
        # login's PAM session and the login shell's (the stub, which execs bash)
        ok "... the home is unlocked, held by su's PAM session and the login shell (the stub)" unlocked_with_sessions "$U" 2
        tmux -L "homefs-pam-$$" send-keys -t login 'exit' Enter
        ok "logging out of the shell closes the session: the home deactivates" wait_until 20 state_is "$U" inactive
fi

# The account checks come from the record: an expired account.
stop_agent
echo "notAfterUSec: 1000000" >>"$HOMEFS_STATE_DIR/records/$U.yaml"
start_agent
ok "the homefs front comes back" wait_until 20 state_is "$U" inactive
ok "an expired account (notAfterUSec) fails the account check" fails pt "$SVC" "$U" acct_mgmt
ok "... and its home cannot be unlocked" fails feed 'pw-two\n' pt "$SVC" "$U" authenticate
ok "... which stays inactive" state_is "$U" inactive

ok "remove the home" "$CTL" remove "$U"
finish
