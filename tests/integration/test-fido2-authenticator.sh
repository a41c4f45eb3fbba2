#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The software authenticator checked by a second client written from the CTAP
# 2.1 text in Python (tests/fido2-soft/ctap-client.py, not libfido2): getInfo,
# setPIN, changePIN, getPinToken over PIN protocols 1 and 2, retries, the
# three-in-a-row block, PIN policy; then libfido2 (through the agent) uses the
# PIN the other client set, and a blocked PIN is the typed PinLocked error.
. "$(dirname "$0")/lib.sh"
need_privileges
require_feature fido2
SOFT=$B/tests/fido2-soft/soft-fido2
CLIENT=$HOMEFS_SOURCE_ROOT/tests/fido2-soft/ctap-client.py
[ -x "$SOFT" ] || skip_all "the software authenticator was not built (libcbor-dev missing)"
python3 -c 'import cryptography' 2>/dev/null || skip_all "python3-cryptography is not installed"

PIN1=first$$ PIN2=second$$ PW=pw3-$$
remember_secret "$PIN1"; remember_secret "$PIN2"; remember_secret "$PW"
SOCK=$T/fido.sock
SOFT_PID=
start_soft() {
        "$SOFT" --socket "$SOCK" --state "$T/fido.state" "$@" >>"$T/agent.log" 2>&1 &
        SOFT_PID=$!
        for _ in $(seq 50); do [ -S "$SOCK" ] && return 0; sleep 0.1; done
        return 1
}
stop_soft() { kill "$SOFT_PID" 2>/dev/null; wait "$SOFT_PID" 2>/dev/null; rm -f "$SOCK"; }
restart_soft() { stop_soft; start_soft; }
ctap() { python3 "$CLIENT" "$SOCK" "$@"; }
status_is() { # status_is 0xNN COMMAND... (stdin passed on)
        local want=$1; shift
        [ "$(ctap "$@" | tail -1)" = "status $want" ]
}

ok "the authenticator starts without a PIN" start_soft
check_info() {
        ctap info | python3 -c '
import json, sys
i = json.load(sys.stdin)
assert "FIDO_2_0" in i["versions"] and i["extensions"] == ["hmac-secret"], i
assert i["options"] == {"rk": False, "up": True, "clientPin": '"$1"'}, i
assert i["pinUvAuthProtocols"] == [2, 1], i'
}
ok "getInfo: versions, hmac-secret, rk/up/clientPin=false, protocols 2 and 1" check_info False
ok "getPinToken without a PIN: PIN_NOT_SET (0x35)" sh -c "echo '$PIN1' | python3 '$CLIENT' '$SOCK' pintoken 2 | grep -qx 'status 0x35'"
ok "setPIN over protocol 2" sh -c "echo '$PIN1' | python3 '$CLIENT' '$SOCK' setpin 2"
ok "getInfo now says clientPin=true" check_info True
ok "8 retries" test "$(ctap retries)" = 8
ok "setPIN again: PIN_AUTH_INVALID (0x33)" sh -c "echo '$PIN2' | python3 '$CLIENT' '$SOCK' setpin 1 | grep -qx 'status 0x33'"
ok "getPinToken over protocol 1 with the PIN" sh -c "echo '$PIN1' | python3 '$CLIENT' '$SOCK' pintoken 1"
ok "a wrong PIN: PIN_INVALID (0x31)" sh -c "echo 'nope$$' | python3 '$CLIENT' '$SOCK' pintoken 2 | grep -qx 'status 0x31'"
ok "7 retries" test "$(ctap retries)" = 7
ok "second wrong PIN: PIN_INVALID" sh -c "echo 'nope$$' | python3 '$CLIENT' '$SOCK' pintoken 1 | grep -qx 'status 0x31'"
ok "third wrong PIN in a row: PIN_AUTH_BLOCKED (0x34)" sh -c "echo 'nope$$' | python3 '$CLIENT' '$SOCK' pintoken 2 | grep -qx 'status 0x34'"
ok "blocked until a power cycle, even with the right PIN" sh -c "echo '$PIN1' | python3 '$CLIENT' '$SOCK' pintoken 2 | grep -qx 'status 0x34'"
ok "power cycle (restart, state kept)" restart_soft
ok "the right PIN works again and resets the retries" sh -c "echo '$PIN1' | python3 '$CLIENT' '$SOCK' pintoken 2 && test \"\$(python3 '$CLIENT' '$SOCK' retries)\" = 8"
ok "changePIN to a 3-character PIN: PIN_POLICY_VIOLATION (0x37)" sh -c "printf '%s\nabc\n' '$PIN1' | python3 '$CLIENT' '$SOCK' changepin 1 | grep -qx 'status 0x37'"
ok "changePIN over protocol 1" sh -c "printf '%s\n%s\n' '$PIN1' '$PIN2' | python3 '$CLIENT' '$SOCK' changepin 1"
ok "the old PIN is refused" sh -c "echo '$PIN1' | python3 '$CLIENT' '$SOCK' pintoken 2 | grep -qx 'status 0x31'"
ok "the new PIN works" sh -c "echo '$PIN2' | python3 '$CLIENT' '$SOCK' pintoken 1"

# --- libfido2 (through the agent) with the PIN the other client set -------------------
start_agent --fido2-device="unix:$SOCK"
new_user_name U g
IMG=$T/$U.home
ok "create with the key, PIN set by the Python client" sh -c "printf '%s\n%s\n' '$PW' '$PIN2' | '$CTL' create '$U' --enforce-password-policy=no --home-dir='$T/home/$U' --image-path='$IMG' --disk-size=256M --luks-pbkdf-type=pbkdf2 --luks-pbkdf-force-iterations=1000 --fido2-device='unix:$SOCK'"
ok "unlock with that PIN" sh -c "printf '%s\n' '$PIN2' | '$CTL' unlock '$U' && '$CTL' deactivate '$U'"

# --- block the PIN: 8 wrong tries, with power cycles between the threes ----------------
block_pin() {
        local i
        for i in 1 2 3 4 5 6 7 8; do
                echo "nope$$" | python3 "$CLIENT" "$SOCK" pintoken 2 >/dev/null
                [ $((i % 3)) -eq 0 ] && restart_soft
        done
        [ "$(ctap retries)" = 0 ]
}
ok "8 wrong PINs leave no retries" block_pin
ok "then even the right PIN: PIN_BLOCKED (0x32)" sh -c "echo '$PIN2' | python3 '$CLIENT' '$SOCK' pintoken 2 | grep -qx 'status 0x32'"
out=$(printf '%s\n' "$PIN2" | "$CTL" unlock "$U" 2>&1); rc=$?
ok "unlock: fails with exit status 3" test "$rc" -eq 3
ok "unlock: the PinLocked message" grep -q "PIN is blocked" <<<"$out"
ok "the password still works" sh -c "printf '\n%s\n' '$PW' | '$CTL' unlock '$U' && '$CTL' deactivate '$U'"

stop_soft
ok "remove the home" "$CTL" remove "$U"
finish
