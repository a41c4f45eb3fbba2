#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Who may do what (SO_PEERCRED): root everything; a user only their own home,
# and only with valid credentials; nobody else anything.
. "$(dirname "$0")/lib.sh"
need_privileges

start_agent
new_user_name A a
new_user_name B b
ok "create home A" create_home "$A" pw-a
ok "create home B" create_home "$B" pw-b

as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups "$@"; }
denied() { # denied USER CMD... : fails, and says so
        local u=$1 out; shift
        # Passwords on stdin, so that only the agent's answer can refuse.
        out=$(printf 'pw-a\npw-a\npw-a\n' | as "$u" "$@" 2>&1) && return 1
        echo "$out" | grep -qiE 'permission|not allowed|may not|only root' || { echo "# unexpected: $out"; return 1; }
}

ok "the socket is 0666 (callers are checked per call)" test "$(stat -c %a "$HOMEFS_RUNTIME_DIR/agent.sock")" = 666
ok "the runtime directory is root's, 0755" test "$(stat -c '%U %a' "$HOMEFS_RUNTIME_DIR")" = "root 755"
ok "the state directory is not readable by users" sh -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups ls '$HOMEFS_STATE_DIR/records' 2>/dev/null"

ok "A cannot create a home" denied "$A" "$CTL" create --enforce-password-policy=no "${A}x"
ok "A cannot remove B's home" denied "$A" "$CTL" remove "$B"
ok "A cannot remove their own home" denied "$A" "$CTL" remove "$A"
ok "A cannot unlock B's home, even with B's password" sh -c "printf 'pw-b\n' | setpriv --reuid='$A' --regid='$(id -g "$A")' --clear-groups '$CTL' unlock '$B' 2>&1 | grep -qi 'may not'"
ok "B's home stays locked" test "$(home_state "$B")" = locked
ok "A cannot inspect B's home" denied "$A" "$CTL" inspect "$B"
ok "A cannot lock B's home" denied "$A" "$CTL" lock "$B"
ok "A cannot change B's password" denied "$A" "$CTL" passwd --enforce-password-policy=no "$B"
ok "A's list shows only A" test "$(as "$A" "$CTL" list --json=short | python3 -c 'import json,sys; print(" ".join(h["name"] for h in json.load(sys.stdin)))')" = "$A"
ok "nobody cannot unlock A" denied nobody "$CTL" unlock "$A"

ok "A with a wrong password is refused" sh -c "! printf 'nope\n' | setpriv --reuid='$A' --regid='$(id -g "$A")' --clear-groups '$CTL' unlock '$A' 2>/dev/null"
ok "A stays locked" test "$(home_state "$A")" = locked
ok "A unlocks their own home with the password" sh -c "printf 'pw-a\n' | setpriv --reuid='$A' --regid='$(id -g "$A")' --clear-groups '$CTL' unlock '$A'"
ok "A is unlocked" test "$(home_state "$A")" = unlocked
ok "A inspects their own home" as "$A" "$CTL" inspect "$A"
ok "A locks their own home" as "$A" "$CTL" lock "$A"
ok "A is locked" test "$(home_state "$A")" = locked

ok "root removes A" "$CTL" remove "$A"
ok "root removes B" "$CTL" remove "$B"
finish
