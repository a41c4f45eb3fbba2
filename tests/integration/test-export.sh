#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Moving a home: inspect --export, the image copied, create --identity=- on
# an agent with another state directory (a second host), unlock there.
. "$(dirname "$0")/lib.sh"
need_privileges

start_agent
new_user_name U x
PW='move me'
ok "create a home" create_home "$U" "$PW" --real-name="Moving User" --luks-discard=yes
ok "unlock" unlock_home "$U" "$PW"
ok "write a file" setpriv --reuid="$U" --regid="$U" --clear-groups sh -c "echo travelled > '$T/home/$U/note'"
ok "deactivate" "$CTL" deactivate "$U"
UID_U=$(id -u "$U")

ok "inspect --export" sh -c "'$CTL' inspect --export '$U' > '$T/identity.json'"
ok "the export is JSON" python3 -m json.tool "$T/identity.json"
ok "the export is the record alone" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["userName"] == sys.argv[2] and r["realName"] == "Moving User" and "state" not in r, r
' "$T/identity.json" "$U"
ok "--export only with inspect" sh -c "'$CTL' list --export; [ \$? -eq 2 ]"
ok "copy the image, keeping it sparse" cp --sparse=always "$T/$U.home" "$T/moved.home"
ok "remove the home on the first host" "$CTL" remove "$U"

# The second host: another agent with its own state and runtime directories.
stop_agent
export HOMEFS_STATE_DIR=$T/state2 HOMEFS_RUNTIME_DIR=$T/run2
start_agent
printf '%s\n' "$PW" >"$T/pw"; chmod 600 "$T/pw"
ok "--identity=- needs --password-file" sh -c "'$CTL' create '$U' --identity=- < '$T/identity.json'; [ \$? -eq 2 ]"
printf 'wrong\n' >"$T/badpw"
ok "a wrong password does not take the image over" sh -c "'$CTL' create '$U' --identity=- --password-file='$T/badpw' \
        --image-path='$T/moved.home' --home-dir='$T/home/$U' < '$T/identity.json'; [ \$? -eq 3 ] && [ -f '$T/moved.home' ]"
ok "create --identity=- takes the moved image over" sh -c "'$CTL' create '$U' --identity=- --password-file='$T/pw' \
        --image-path='$T/moved.home' --home-dir='$T/home/$U' < '$T/identity.json'"
ok "same uid as before" test "$(id -u "$U")" = "$UID_U"
ok "the record came along" sh -c "'$CTL' inspect --json=short '$U' | grep -q '\"realName\":\"Moving User\"'"
ok "unlock on the second host" unlock_home "$U" "$PW"
ok "the file is there" test "$(cat "$T/home/$U/note")" = travelled
ok "an identity for another user is refused" sh -c "'$CTL' create hfother$$ --identity='$T/identity.json' --password-file='$T/pw'; [ \$? -eq 1 ]"
ok "deactivate" "$CTL" deactivate "$U"

finish
