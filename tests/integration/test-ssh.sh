#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# SSH into a homefs home, against Debian's real sshd on 127.0.0.1 and a free
# high port, with the dist/ snippet: keys from the record (AuthorizedKeysCommand
# as nobody), homefs-sshstub as ForceCommand; the password prompt on a real
# terminal (tmux), the non-terminal cases (ssh host cmd, sftp).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/sshd.sh"
need_privileges
SSHD=/usr/sbin/sshd
STUB=$B/sshstub/homefs-sshstub
[ -x "$SSHD" ] || skip_all "sshd is not installed (apt install openssh-server)"
command -v ssh >/dev/null && command -v sftp >/dev/null || skip_all "ssh/sftp are not installed (apt install openssh-client)"
command -v tmux >/dev/null || skip_all "tmux is not installed"
[ -x "$STUB" ] || { echo "Bail out! $STUB is not built"; exit 1; }

S=$T/ssh
mkdir -p "$S"
ssh-keygen -q -t ed25519 -N '' -f "$S/host" -C host
ssh-keygen -q -t ed25519 -N '' -f "$S/client" -C client
ssh-keygen -q -t ed25519 -N '' -f "$S/other" -C other

start_agent
new_user_name U s
new_user_name G g
groupadd "$G"
create_home "$U" pw-one "--ssh-authorized-keys=@$S/client.pub" >&2 || fail_now "create a home with an SSH key in its record"
ok "the new home is locked" test "$(home_state "$U")" = locked
usermod -aG "$G" "$U"

echo "a file in the home" >"$T/note"
put_note() {
        printf 'pw-one\n' | "$CTL" unlock "$U" &&
                install -o "$U" -m 600 "$T/note" "$T/home/$U/note" &&
                "$CTL" lock "$U"
}
ok "write a file into the home" put_note

nobody_keys() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$CTL" ssh-authorized-keys "$U"; }
ok "ssh-authorized-keys works as nobody and prints the record's key" \
        sh -c "test \"\$(HOMEFS_RUNTIME_DIR='$HOMEFS_RUNTIME_DIR' setpriv --reuid=nobody --regid=nogroup --clear-groups '$CTL' ssh-authorized-keys '$U')\" = \"\$(cat '$S/client.pub')\""
ok "... and prints nothing, successfully, for a user homefs does not manage" \
        sh -c "test -z \"\$('$CTL' ssh-authorized-keys nosuchuser$$)\""

# sshd: its own config, laid out as Debian's (helpers/sshd.sh).
start_sshd "$S" "$U" "$G"
ok "the passwd shell of the homefs user is the stub (--login-shell)" \
        test "$(getent passwd "$U" | cut -d: -f7)" = "$LOGIN_SHELL"
sshc() { ssh "${SSH_OPTS[@]}" -i "$S/client" "$U@127.0.0.1" "$@"; }
state_is() { test "$(home_state "$1")" = "$2"; }

refused() { ! ssh "${SSH_OPTS[@]}" -i "$S/other" "$U@127.0.0.1" true </dev/null 2>"$T/err" && grep -q "Permission denied" "$T/err"; }
ok "a key that is not in the record is refused" refused

locked_no_tty() {
        local rc=0
        # A password on stdin must not be read: it is the command's data.
        echo pw-one | sshc 'echo should-not-run' >"$T/out" 2>"$T/err" || rc=$?
        test "$rc" = 75 && grep -q "is locked; log in interactively with 'ssh -t'" "$T/err" && ! grep -q should-not-run "$T/out"
}
ok "locked home, ssh host cmd without a terminal: exit 75 and the reason on stderr (the record's key works, over userdb's command)" locked_no_tty
ok "... and no shell's startup file was read in the locked home" sh -c "! grep -q 'bashrc\|profile' '$T/err'" 
ok "... and the home stays locked" state_is "$U" locked
sftp_fails() {
        local opts=("${SSH_OPTS[@]}")
        opts[2]=-P # sftp's port option
        ! sftp -b - "${opts[@]}" -i "$S/client" "$U@127.0.0.1" <<<"ls" >"$T/out" 2>"$T/err" &&
                grep -q "is locked" "$T/err" || { sed 's/^/# sftp: /' "$T/err"; return 1; }
}
ok "locked home, sftp fails with the reason (in the SFTP protocol: sshd drops a subsystem's stderr)" sftp_fails
ok "... and the home stays locked" state_is "$U" locked
ok "sshd did not look for authorized_keys files in the locked home" sh -c "! grep -i 'authorized keys\|authorized_keys' '$S/sshd.log'" 

# Interactive: ssh -t on a tmux terminal. The pane ends with SSH-EXIT=<status>.
TM="homefs-ssh-$$"
on_cleanup "tmux -L '$TM' kill-server"
pane() { tmux -L "$TM" capture-pane -p -J -S -100 -t "$1"; }
pane_has() { pane "$1" | grep -qF -- "$2"; }
start_tty() { # start_tty NAME [COMMAND]
        local q
        printf -v q '%q ' ssh "${SSH_OPTS[@]}" -t -i "$S/client" "$U@127.0.0.1" "${@:2}"
        if tmux -L "$TM" has-session 2>/dev/null; then
                tmux -L "$TM" new-window -d -n "$1" "$q; echo SSH-EXIT=\$?; sleep 600"
        else
                tmux -L "$TM" new-session -d -x 200 -y 50 -s homefs -n "$1" "$q; echo SSH-EXIT=\$?; sleep 600"
        fi
}
type_in() { tmux -L "$TM" send-keys -t "$1" "$2" Enter; }
show() { echo "# pane $1:"; pane "$1" | sed 's/^/#   /'; }

login_with_password() {
        start_tty ok
        wait_until 20 pane_has ok "Password for $U:" || { show ok; return 1; }
        pane_has ok "The home of $U is locked" || { show ok; return 1; }
        type_in ok pw-one
        type_in ok 'echo "WHERE=$(pwd) NOTE=$(cat note)"'
        wait_until 20 pane_has ok "WHERE=$T/home/$U NOTE=a file in the home" || { show ok; return 1; }
}
ok "locked home, ssh -t: the prompt, the password, a shell in the home that reads its file" login_with_password
ok "... the home is unlocked, held by one session" test "$(home_status "$U" state) $(home_status "$U" sessions)" = '"unlocked" 1'
type_in ok exit
ok "... logging out ends the session: the home locks" wait_until 20 state_is "$U" locked

three_wrong() {
        start_tty bad
        for pw in bad1 bad2 bad3; do
                wait_until 20 pane_has bad "Password for $U:" || { show bad; return 1; }
                type_in bad "$pw"
                sleep 0.5
        done
        wait_until 20 pane_has bad "SSH-EXIT=" || { show bad; return 1; }
        pane_has bad "Sorry, try again" && pane_has bad "Wrong password" && ! pane_has bad "SSH-EXIT=0"
}
ok "wrong password three times: the connection ends" three_wrong
ok "... and the home stays locked" state_is "$U" locked

command_after_prompt() {
        start_tty cmd 'cat note'
        wait_until 20 pane_has cmd "Password for $U:" || { show cmd; return 1; }
        type_in cmd pw-one
        wait_until 20 pane_has cmd "SSH-EXIT=0" && pane_has cmd "a file in the home" || { show cmd; return 1; }
}
ok "locked home, ssh -t host cmd: the prompt, then the command runs" command_after_prompt
ok "... and the home locks when it ends" wait_until 20 state_is "$U" locked

ok "unlock the home" sh -c "printf 'pw-one\n' | '$CTL' unlock '$U'"
cat_note() {
        test "$(sshc 'cat ~/note' </dev/null 2>"$T/err")" = "a file in the home" || { sed 's/^/# ssh: /' "$T/err"; return 1; }
}
ok "unlocked home: ssh host 'cat ~/note' prints the file, no prompt" cat_note
ok "... and asked for nothing" sh -c "! grep -qi password '$T/err'"
ok "... the command's end did not lock the home unlocked by hand" state_is "$U" unlocked
sftp_get() {
        local opts=("${SSH_OPTS[@]}")
        opts[2]=-P
        rm -f "$T/got"
        sftp -b - "${opts[@]}" -i "$S/client" "$U@127.0.0.1" <<<"get note $T/got" >"$T/out" 2>"$T/err" &&
                cmp "$T/got" "$T/note" || { sed 's/^/# sftp: /' "$T/err"; return 1; }
}
ok "unlocked home, Subsystem sftp internal-sftp: sftp gets the file (the stub runs sftp-server)" sftp_get
scp_put_get() {
        local opts=("${SSH_OPTS[@]}")
        opts[2]=-P
        echo "copied by scp" >"$T/up" &&
                scp -q "${opts[@]}" -i "$S/client" "$T/up" "$U@127.0.0.1:up" 2>"$T/err" &&
                scp -q "${opts[@]}" -i "$S/client" "$U@127.0.0.1:up" "$T/down" 2>>"$T/err" &&
                cmp "$T/up" "$T/down" && cmp "$T/up" "$T/home/$U/up" || { sed 's/^/# scp: /' "$T/err"; return 1; }
}
ok "... scp copies into the home and back" scp_put_get
ok "... and the home is still unlocked, with no session left" test "$(home_status "$U" state) $(home_status "$U" sessions)" = '"unlocked" 0'

file_keys() {
        install -d -o "$U" -m 700 "$T/home/$U/.ssh" &&
                install -o "$U" -m 600 "$S/other.pub" "$T/home/$U/.ssh/authorized_keys" || return 1
        HOMEFS_RUNTIME_DIR=$HOMEFS_RUNTIME_DIR setpriv --reuid=nobody --regid=nogroup --clear-groups "$CTL" ssh-authorized-keys "$U" >"$T/keys" &&
                grep -qF "$(cat "$S/other.pub")" "$T/keys" && grep -qF "$(cat "$S/client.pub")" "$T/keys"
}
ok "unlocked: ssh-authorized-keys adds the lines of ~/.ssh/authorized_keys" file_keys
ok "lock" "$CTL" lock "$U"
ok "locked: only the record's keys" sh -c "test \"\$('$CTL' ssh-authorized-keys '$U')\" = \"\$(cat '$S/client.pub')\""

other_locked() { ssh "${SSH_OPTS[@]}" -i "$S/other" "$U@127.0.0.1" true </dev/null 2>/dev/null; test $? = 75; }
ok "update --ssh-authorized-keys replaces the record's keys" "$CTL" update "$U" "--ssh-authorized-keys=@$S/other.pub"
ok "... the new key logs in (to the locked-home refusal)" other_locked
ok "... the old key is refused now" sh -c "! ssh ${SSH_OPTS[*]@Q} -i '$S/client' '$U@127.0.0.1' true </dev/null 2>/dev/null"
ok "update --ssh-authorized-keys= removes every key" "$CTL" update "$U" --ssh-authorized-keys=
ok "... and prints none" test -z "$("$CTL" ssh-authorized-keys "$U")"

ok "remove the home" "$CTL" remove "$U"
finish
