#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# homefs users through systemd's userdb: Debian's userdbctl (the client that
# nss-systemd and sshd's userdb drop-in use) talks to the agent's
# io.systemd.UserDatabase socket in /run/systemd/userdb; privileged fields
# (SSH keys) go to root only; bad calls get varlink errors, not a dead agent.
. "$(dirname "$0")/lib.sh"
need_privileges
command -v userdbctl >/dev/null || { echo "Bail out! userdbctl is missing (package systemd-userdbd)"; exit 1; }

# A socket name of this run's own: other agents may serve the machine's.
SERVICE=io.homefs.test$$
export SOCK=/run/systemd/userdb/$SERVICE
cleanup_path "$SOCK"
start_agent --userdb-socket="$SOCK"
AGENT_START_PID=$AGENT_PID
new_user_name U u
KEY='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHVzZXJkYi10ZXN0LWtleS0xMjM0NTY3ODkwYWJj userdb@test'
ok "create a home with an SSH key" create_home "$U" 'pass word' --real-name="Ada Userdb" --ssh-authorized-key="$KEY"
uid=$(id -u "$U")

# userdbctl asks every socket in /run/systemd/userdb; --service picks ours
# where this systemd knows the option, else the output is filtered by service.
udb() { SYSTEMD_LOG_LEVEL=err userdbctl --output=json "$@"; }
jfield() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(eval(sys.argv[1], {}, {"d": d})))' "$1"; }

ok "the socket exists and is the service's name" test -S "$SOCK"
out=$(udb user "$U" 2>&1)
diag "$out"
ok "userdbctl user NAME finds the homefs user" test "$(printf '%s' "$out" | jfield 'd["userName"]')" = "\"$U\""
ok "the record carries the uid" test "$(printf '%s' "$out" | jfield 'd["uid"]')" = "$uid"
ok "the record carries the real name" test "$(printf '%s' "$out" | jfield 'd["realName"]')" = '"Ada Userdb"'
ok "the record names the service" test "$(printf '%s' "$out" | jfield 'd["service"]')" = "\"$SERVICE\""
ok "userdbctl user UID finds it too" sh -c "SYSTEMD_LOG_LEVEL=err userdbctl --output=json user $uid | grep -q '\"$U\"'"
ok "userdbctl group NAME finds the user's group" sh -c "SYSTEMD_LOG_LEVEL=err userdbctl --output=json group $U | grep -q '\"groupName\" *: *\"$U\"'"
ok "userdbctl ssh-authorized-keys serves the record's key to root" \
        sh -c "SYSTEMD_LOG_LEVEL=err userdbctl ssh-authorized-keys $U | grep -qF '$KEY'"
ok "the user list includes the homefs user" sh -c "SYSTEMD_LOG_LEVEL=err userdbctl user --output=classic | grep -q '^$U:'"

# Talk varlink directly: privileged fields to root only, errors for bad calls.
call() { # call UID JSON: send one call as UID, print the replies (NUL-separated -> lines)
        setpriv --reuid="$1" --regid="$1" --clear-groups /usr/bin/python3 - "$SOCK" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\0")
buf = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    buf += d
    msgs = buf.split(b"\0")
    done = any(m and b'"continues"' not in m for m in msgs[:-1])
    if done:
        break
for m in buf.split(b"\0"):
    if m:
        print(m.decode())
PY
}
q="{\"method\":\"io.systemd.UserDatabase.GetUserRecord\",\"parameters\":{\"userName\":\"$U\",\"service\":\"$SERVICE\"}}"
ok "root gets the privileged section" sh -c "$(declare -f call); call 0 '$q' | grep -q sshAuthorizedKeys"
ok "another user gets the record without it, marked incomplete" \
        sh -c "$(declare -f call); out=\$(call 65534 '$q'); echo \"\$out\" | grep -q '\"userName\"' && ! echo \"\$out\" | grep -q sshAuthorizedKeys && echo \"\$out\" | grep -q '\"incomplete\": *true'"
bad="{\"method\":\"io.systemd.UserDatabase.GetUserRecord\",\"parameters\":{\"userName\":\"$U\",\"service\":\"io.other\"}}"
ok "a call for another service gets BadService" sh -c "$(declare -f call); call 65534 '$bad' | grep -q BadService"
nope="{\"method\":\"io.systemd.UserDatabase.GetUserRecord\",\"parameters\":{\"userName\":\"nosuchuser$$\",\"service\":\"$SERVICE\"}}"
ok "an unknown user gets NoRecordFound" sh -c "$(declare -f call); call 65534 '$nope' | grep -q NoRecordFound"
conflict="{\"method\":\"io.systemd.UserDatabase.GetUserRecord\",\"parameters\":{\"userName\":\"$U\",\"uid\":1,\"service\":\"$SERVICE\"}}"
ok "a name and a uid of different users get ConflictingRecordFound" sh -c "$(declare -f call); call 65534 '$conflict' | grep -q ConflictingRecordFound"
enum="{\"method\":\"io.systemd.UserDatabase.GetUserRecord\",\"parameters\":{\"service\":\"$SERVICE\"}}"
ok "an enumeration without 'more' gets ExpectedMore" sh -c "$(declare -f call); call 65534 '$enum' | grep -q ExpectedMore"
memb="{\"method\":\"io.systemd.UserDatabase.GetMemberships\",\"parameters\":{\"userName\":\"$U\",\"service\":\"$SERVICE\"},\"more\":true}"
ok "memberships: none beyond the user's own group" sh -c "$(declare -f call); call 65534 '$memb' | grep -q NoRecordFound"
info='{"method":"org.varlink.service.GetInfo","parameters":{}}'
ok "GetInfo names the interface" sh -c "$(declare -f call); call 65534 '$info' | grep -q io.systemd.UserDatabase"
ok "an unknown method gets MethodNotFound" sh -c "$(declare -f call); call 65534 '{\"method\":\"io.systemd.Nope\",\"parameters\":{}}' | grep -q MethodNotFound"
printf 'garbage\0' | setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read()); s.recv(10)' "$SOCK" 2>/dev/null
ok "after garbage the agent still runs (same pid)" kill -0 "$AGENT_START_PID"
ok "and still answers" sh -c "SYSTEMD_LOG_LEVEL=err userdbctl --output=json user $U | grep -q '\"$U\"'"

# userdel's own lookups go through nss-systemd, which would ask the agent
# while the remove holds the home: the agent's helpers bypass its service.
ok "remove the home (no wait on the agent's own userdb service)" timeout 30 "$CTL" remove "$U"
ok "a removed user is no longer served" sh -c "! SYSTEMD_LOG_LEVEL=err userdbctl --output=json user $U 2>/dev/null | grep -q '\"service\" *: *\"$SERVICE\"'"
stop_agent
ok "the agent removes its socket when it stops" test ! -e "$SOCK"
ok "the daemons exited without sanitizer reports" no_sanitizer_reports
finish
