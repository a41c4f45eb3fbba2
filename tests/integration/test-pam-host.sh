#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# pam_homefs on a Debian host as documented, in private mount namespaces
# (copies of /etc/pam.d, and of /etc/shadow where root's password is set:
# the machine's files are never touched):
#  - the exact lines of dist/pam.d with the agent running, stopped, killed in
#    the middle of a conversation and hung (SIGSTOP): users homefs does not
#    manage, root among them, log in whatever the agent does; a homefs user
#    gets one clear sentence, within the module's timeout;
#  - Debian's pam-auth-update with dist/pam-configs/homefs: enable, su -l on
#    a terminal unlocks a home, su of an ordinary user and passwd still work,
#    disable restores the files.
. "$(dirname "$0")/lib.sh"
need_privileges
command -v pamtester >/dev/null || skip_all "pamtester is not installed (apt install pamtester)"
command -v tmux >/dev/null || skip_all "tmux is not installed"
command -v pam-auth-update >/dev/null || skip_all "pam-auth-update is not installed (apt install libpam-runtime)"
MOD=$B/pam/pam_homefs.so
[ -f "$MOD" ] || { echo "Bail out! $MOD is not built"; exit 1; }
build_is_sanitized && skip_all "setuid su cannot load a sanitizer-built module; the plain build runs this test"

# The module's options for this run's agent; the timeout short for the hung case.
OPTS="runtime_dir=$HOMEFS_RUNTIME_DIR state_dir=$HOMEFS_STATE_DIR timeout=3"
start_agent
new_user_name U h
new_plain_user P p
create_home "$U" pw-home >&2 || fail_now "create a home"
echo "$P:plain-pw" | chpasswd
ROOTPW=root-pw-$$

# Namespace A: dist/pam.d as the common files, root's password in a copy of shadow.
A=$T/ns-a
mkdir -p "$A"
cp -a /etc/pam.d "$A/pam.d"
for f in common-auth common-account common-password common-session; do
        sed "s|@PAM_MODULE@|$MOD $OPTS|" "$HOMEFS_SOURCE_ROOT/dist/pam.d/$f.in" >"$A/pam.d/$f"
done
printf '@include common-auth\n@include common-account\n@include common-session\n' >"$A/pam.d/homefs-host"
awk -F: -v h="$(openssl passwd -6 "$ROOTPW")" 'BEGIN { OFS = ":" } $1 == "root" { $2 = h } { print }' \
        /etc/shadow >"$A/shadow"
MOUNTS_A="mount --bind '$A/pam.d' /etc/pam.d && mount --bind '$A/shadow' /etc/shadow"
in_a() { unshare -m --propagation private sh -c "$MOUNTS_A && exec \"\$@\"" sh "$@"; }
login_a() { printf '%s\n' "$2" | in_a pamtester homefs-host "$1" authenticate acct_mgmt open_session close_session >"$T/out" 2>&1; }
says() { grep -qF -- "$1" "$T/out" || { sed 's/^/# pamtester: /' "$T/out"; return 1; }; }
fails() { ! "$@"; }
state_is() { test "$(home_state "$1")" = "$2"; }

# su on a terminal, started by nobody, in a namespace: su_tty NAME USER PASSWORD MOUNTS
TM="homefs-pamhost-$$"
on_cleanup "tmux -L '$TM' kill-server"
pane_has() { tmux -L "$TM" capture-pane -p -J -t "$1" | grep -qF -- "$2"; }
show() { echo "# pane $1:"; tmux -L "$TM" capture-pane -p -J -t "$1" | sed 's/^/#   /'; }
su_tty() {
        local name=$1 user=$2 pw=$3 mounts=$4
        printf 'unshare -m --propagation private sh -c "%s && exec runuser -u nobody -- su -l %s"\necho SU-EXIT=$?\nsleep 600\n' \
                "$mounts" "$user" >"$T/su-$name.sh"
        if tmux -L "$TM" has-session 2>/dev/null; then
                tmux -L "$TM" new-window -d -n "$name" "bash $T/su-$name.sh"
        else
                tmux -L "$TM" new-session -d -x 200 -y 50 -s t -n "$name" "bash $T/su-$name.sh"
        fi
        wait_until 20 pane_has "$name" "Password" || { show "$name"; return 1; }
        tmux -L "$TM" send-keys -t "$name" "$pw" Enter
        # Input typed ahead of the shell may be flushed with the password's
        # terminal mode: type the command until the shell has run it.
        for _ in $(seq 20); do
                pane_has "$name" "SU-EXIT=" && break
                tmux -L "$TM" send-keys -t "$name" 'echo "WHO=$(id -un) WHERE=$(pwd)"; exit' Enter
                wait_until 1 pane_has "$name" "SU-EXIT="
        done
        pane_has "$name" "SU-EXIT=" || { show "$name"; return 1; }
        pane_has "$name" "WHO=$user " || { show "$name"; return 1; }
}

ok "agent running: the homefs user logs in with the dist lines" login_a "$U" pw-home
ok "... its session held the home" grep -q "session opened for $U" "$T/agent.log"
ok "... whose end deactivated it again" state_is "$U" inactive
ok "... an ordinary user logs in (pam_unix)" login_a "$P" plain-pw
ok "... root logs in (pam_unix)" login_a root "$ROOTPW"
ok "... a wrong password of the ordinary user is refused" fails login_a "$P" wrong
ok "deactivate" "$CTL" deactivate "$U"

passwd_a() { # pam_unix writes /etc/shadow by rename: the real one, for our own user
        printf 'plain-pw-a%s\nplain-pw-a%s\n' $$ $$ |
                unshare -m --propagation private sh -c "mount --bind '$A/pam.d' /etc/pam.d && exec pamtester passwd '$P' chauthtok" &&
        printf 'plain-pw\nplain-pw\n' |
                unshare -m --propagation private sh -c "mount --bind '$A/pam.d' /etc/pam.d && exec pamtester passwd '$P' chauthtok"
}
ok "... an ordinary user changes the password twice (pam_unix)" passwd_a

stop_agent
ok "agent stopped: an ordinary user logs in" login_a "$P" plain-pw
ok "... root logs in" login_a root "$ROOTPW"
ok "... su -l of an ordinary user on a terminal works" su_tty plain "$P" plain-pw "$MOUNTS_A"
ok "... su -l root on a terminal works" su_tty root root "$ROOTPW" "$MOUNTS_A"
ok "... the homefs user is refused" fails login_a "$U" pw-home
ok "... with 'homefs-agent is not running'" says "homefs-agent is not running"

# Killed in the middle: the module has asked for the password (its Unlock
# call is on the wire) when the agent dies.
killed_mid_conversation() {
        local fifo=$T/pw.fifo rc=0
        mkfifo "$fifo"
        in_a pamtester homefs-host "$U" authenticate <"$fifo" >"$T/out" 2>&1 &
        local job=$!
        exec 7>"$fifo"
        wait_until 20 grep -q "Password" "$T/out" || { exec 7>&-; kill "$job"; return 1; }
        kill -KILL "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null; AGENT_PID=
        echo pw-home >&7
        exec 7>&-
        wait "$job" || rc=$?
        test "$rc" != 0 && says "homefs-agent closed the connection"
}
start_agent
ok "agent killed mid-conversation: the homefs user is refused with the reason" killed_mid_conversation
ok "... an ordinary user logs in" login_a "$P" plain-pw
ok "... root logs in" login_a root "$ROOTPW"

start_agent
ok "the restarted agent knows the home" wait_state "$U" inactive
kill -STOP "$AGENT_PID"
on_cleanup "kill -CONT $AGENT_PID"
quick() { local t0=$SECONDS; "$@" && [ $((SECONDS - t0)) -le 4 ]; }
ok "agent hung (SIGSTOP): an ordinary user logs in at once" quick login_a "$P" plain-pw
ok "... root logs in at once" quick login_a root "$ROOTPW"
bounded() { local t0=$SECONDS; ! login_a "$U" pw-home && [ $((SECONDS - t0)) -le 12 ]; }
ok "... the homefs user is refused within the timeout (3 s) and the fail delay" bounded
ok "... with 'did not answer in time'" says "homefs-agent did not answer in time"
kill -CONT "$AGENT_PID"
ok "the agent continues and answers" wait_state "$U" inactive

# pam-auth-update, on copies of /etc/pam.d, /usr/share/pam-configs and
# /var/lib/pam; the profile's module name points at this build with this
# run's options.
Q=$T/ns-q
mkdir -p "$Q"
cp -a /etc/pam.d "$Q/pam.d"
cp -a /etc/pam.d "$Q/pam.d.orig"
cp -a /usr/share/pam-configs "$Q/pam-configs"
cp -a /var/lib/pam "$Q/var-lib-pam"
sed "s|@PAM_MODULE@|$MOD $OPTS|" "$HOMEFS_SOURCE_ROOT/dist/pam-configs/homefs.in" >"$Q/pam-configs/homefs"
MOUNTS_Q="mount --bind '$Q/pam.d' /etc/pam.d && mount --bind '$Q/pam-configs' /usr/share/pam-configs && mount --bind '$Q/var-lib-pam' /var/lib/pam"
in_q() { unshare -m --propagation private sh -c "$MOUNTS_Q && exec \"\$@\"" sh "$@"; }
ok "pam-auth-update --enable homefs" in_q env DEBIAN_FRONTEND=noninteractive pam-auth-update --enable homefs
ok "... puts pam_homefs first in common-auth, jumping over pam_unix" \
        sh -c "grep -v '^#' '$Q/pam.d/common-auth' | grep . | head -1 | grep -q 'success=2 user_unknown=ignore default=die.*pam_homefs.so'"
unlocks_by_su() { su_tty home "$U" pw-home "$MOUNTS_Q" && pane_has home "WHERE=$T/home/$U"; }
ok "... su -l of the homefs user on a terminal: the shell is in the unlocked home" unlocks_by_su
ok "... and the home is deactivated after its logout" wait_until 20 state_is "$U" inactive
ok "... su -l of an ordinary user still works" su_tty plain2 "$P" plain-pw "$MOUNTS_Q"
passwd_plain() { printf 'plain-pw2-%s\nplain-pw2-%s\n' $$ $$ | in_q pamtester passwd "$P" chauthtok >"$T/out" 2>&1 || { sed 's/^/# pamtester: /' "$T/out"; return 1; }; }
ok "... an ordinary user's password change goes to pam_unix" passwd_plain
ok "... and the new password works" sh -c "printf 'plain-pw2-$$\n' | unshare -m --propagation private sh -c \"mount --bind '$Q/pam.d' /etc/pam.d && pamtester login '$P' authenticate\""
ok "pam-auth-update --disable homefs" in_q env DEBIAN_FRONTEND=noninteractive pam-auth-update --disable homefs
ok "... restores the common files" diff -r "$Q/pam.d.orig" "$Q/pam.d"

ok "remove the home" "$CTL" remove "$U"
finish
