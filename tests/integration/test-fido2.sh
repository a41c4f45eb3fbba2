#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# FIDO2 security keys end to end, against the software CTAP2 authenticator
# (tests/fido2-soft) reached over the agent's unix: transport with real
# libfido2: enrollment with PIN, systemd-fido2 token format, the keyslot
# passphrase recomputed from the authenticator's secret by the spec, unlock
# with PIN and touch, wrong PIN with retries, refused presence, PIN protocol
# 1 and 2, the password alongside, removal of keyslot and token.
. "$(dirname "$0")/lib.sh"
need_privileges
require_feature fido2
SOFT=$B/tests/fido2-soft/soft-fido2
[ -x "$SOFT" ] || skip_all "the software authenticator was not built (libcbor-dev missing)"
command -v cryptsetup >/dev/null || skip_all "cryptsetup (cryptsetup-bin) is not installed"

PIN=fidoPin$$ BADPIN=wrongPin$$ PW=pw2-$$
remember_secret "$PIN"; remember_secret "$BADPIN"; remember_secret "$PW"
printf '%s\n' "$PIN" >"$T/fido.pin"
SOCK=$T/fido.sock
SOFT_PID=
start_soft() { # start_soft [--pin-protocols N]
        "$SOFT" --socket "$SOCK" --state "$T/fido.state" --pin-file "$T/fido.pin" \
                --deny-presence-file "$T/fido.deny" "$@" >>"$T/agent.log" 2>&1 &
        SOFT_PID=$!
        for _ in $(seq 50); do [ -S "$SOCK" ] && return 0; sleep 0.1; done
        return 1
}
stop_soft() { kill "$SOFT_PID" 2>/dev/null; wait "$SOFT_PID" 2>/dev/null; rm -f "$SOCK"; }

ok "the software authenticator starts" start_soft
start_agent --fido2-device="unix:$SOCK"
new_user_name U f
IMG=$T/$U.home

token() { # the systemd-fido2 token's JSON
        cryptsetup luksDump --dump-json-metadata "$IMG" | python3 -c '
import json, sys
print(json.dumps([t for t in json.load(sys.stdin)["tokens"].values() if t["type"] == "systemd-fido2"][0]))'
}
# base64(HMAC-SHA-256(CredRandom, salt)) computed from the authenticator's
# state (CTAP 2.1, hmac-secret), independently of libfido2 and the agent.
expected_passphrase() { # expected_passphrase uv|no-uv
        python3 - "$1" "$T/fido.state" "$(token)" <<'PY'
import base64, hashlib, hmac, json, sys
want, state, tok = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
cid = base64.b64decode(tok["fido2-credential"]).hex()
salt = base64.b64decode(tok["fido2-salt"])
for line in open(state):
    f = line.split()
    if f[0] == "cred" and f[1] == cid:
        key = bytes.fromhex(f[3] if want == "uv" else f[4])
        print(base64.b64encode(hmac.new(key, salt, hashlib.sha256).digest()).decode())
PY
}

# --- enroll at create, with the PIN --------------------------------------------
out=$(printf '%s\n%s\n' "$PW" "$PIN" | "$CTL" create "$U" --home-dir="$T/home/$U" --image-path="$IMG" --enforce-password-policy=no --disk-size=256M \
        --luks-pbkdf-type=pbkdf2 --luks-pbkdf-force-iterations=1000 --fido2-device="unix:$SOCK" 2>&1)
ok "create --fido2-device=unix:SOCKET (PIN asked for)" test $? -eq 0
[ "$tap_failed" -eq 0 ] || { diag "$out"; fail_now "cannot go on without an enrolled key"; }
ok "the token has exactly systemd's fields" test "$(token | python3 -c 'import json,sys; print(",".join(sorted(json.load(sys.stdin))))')" = \
        "fido2-clientPin-required,fido2-credential,fido2-rp,fido2-salt,fido2-up-required,fido2-uv-required,keyslots,type"
check_token_values() {
        token | python3 -c '
import base64, json, sys
t = json.load(sys.stdin)
assert t["fido2-rp"] == "io.systemd.cryptsetup", t
assert t["fido2-clientPin-required"] is True and t["fido2-up-required"] is True and t["fido2-uv-required"] is False, t
assert len(base64.b64decode(t["fido2-salt"], validate=True)) == 32
assert base64.b64encode(base64.b64decode(t["fido2-credential"])).decode() == t["fido2-credential"]
assert all(isinstance(k, str) for k in t["keyslots"])'
}
ok "rp, flags, 32-byte salt, padded standard base64" check_token_values
SLOT=$(token | python3 -c 'import json,sys; print(json.load(sys.stdin)["keyslots"][0])')
EXPECTED=$(expected_passphrase uv)
remember_secret "$EXPECTED"
ok "cryptsetup opens the keyslot with base64(hmac-secret) recomputed from the spec" \
        sh -c "printf %s '$EXPECTED' | cryptsetup open --test-passphrase --key-slot=$SLOT --key-file=- '$IMG'"
ok "the keyslot is PBKDF2-SHA512, 1000 iterations" sh -c "cryptsetup luksDump --dump-json-metadata '$IMG' | python3 -c 'import json,sys; k=json.load(sys.stdin)[\"keyslots\"][\"$SLOT\"][\"kdf\"]; assert (k[\"type\"], k[\"hash\"], k[\"iterations\"]) == (\"pbkdf2\", \"sha512\", 1000), k'"

fido2_creds() { home_record "$U" fido2HmacCredential | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin) or []))'; }
token_cred() { cryptsetup luksDump --dump-json-metadata "$IMG" | python3 -c 'import json,sys; print(" ".join(t["fido2-credential"] for t in json.load(sys.stdin)["tokens"].values() if t["type"] == "systemd-fido2"))'; }
ok "the record lists the FIDO2 credential ID (fido2HmacCredential), as the header has it" \
        sh -c "test -n \"\$1\" && test \"\$1\" = \"\$2\"" _ "$(fido2_creds)" "$(token_cred)"

# --- unlock with PIN and touch ---------------------------------------------------
t0=$(date +%s%N)
out=$(printf '%s\n' "$PIN" | "$CTL" unlock "$U" 2>&1); rc=$?
diag "unlock with the FIDO2 key and PIN took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
ok "unlock with the PIN" test "$rc" -eq 0
ok "the user was told to touch the key" grep -q "Touch your security key" <<<"$out"
ok "active" test "$(home_state "$U")" = active
ok "the agent used the key" grep -q "$U: opened by FIDO2 security key" "$T/agent.log"
ok "deactivate" "$CTL" deactivate "$U"

# --- wrong PIN, refused presence ---------------------------------------------------
out=$(printf '%s\n' "$BADPIN" | "$CTL" unlock "$U" 2>&1); rc=$?
ok "wrong PIN: exit status 3" test "$rc" -eq 3
ok "wrong PIN: BadPin with the retries left (7)" grep -q "Wrong PIN.*7 tries left" <<<"$out"
ok "wrong PIN: still inactive" test "$(home_state "$U")" = inactive
touch "$T/fido.deny"
out=$(printf '%s\n' "$PIN" | "$CTL" unlock "$U" 2>&1); rc=$?
rm -f "$T/fido.deny"
ok "presence refused: fails" test "$rc" -ne 0
ok "presence refused: says the key was not touched" grep -q "not touched" <<<"$out"
ok "presence refused: still inactive" test "$(home_state "$U")" = inactive
ok "the right PIN resets the retries (unlock again)" sh -c "printf '%s\n' '$PIN' | '$CTL' unlock '$U' && '$CTL' deactivate '$U'"
ok "the authenticator's retry counter is back at 8" grep -qx "retries 8" "$T/fido.state"

# --- through PAM: the same flow asks for the PIN via the PAM conversation ----------
if command -v pamtester >/dev/null; then
        install_pam_service FIDO_SVC fido2 <<EOF2
auth required $B/pam/pam_homefs.so runtime_dir=$HOMEFS_RUNTIME_DIR state_dir=$HOMEFS_STATE_DIR
EOF2
        pam_pin() { printf '%s\n' "$1" | with_pam_module pamtester "$FIDO_SVC" "$U" authenticate; }
        ok "PAM: a wrong PIN is refused" eval '! pam_pin "$BADPIN"'
        ok "PAM: still inactive" test "$(home_state "$U")" = inactive
        ok "PAM: auth with the security key's PIN unlocks" pam_pin "$PIN"
        ok "PAM: active" test "$(home_state "$U")" = active
        ok "deactivate" "$CTL" deactivate "$U"
else
        diag "pamtester is not installed: the PAM path of FIDO2 was not tested"
fi

# --- PIN protocol 1 only, after a restart of the "device" --------------------------
stop_soft
ok "the authenticator restarts with PIN protocol 1 only, keeping its credentials" start_soft --pin-protocols 1
ok "unlock with the PIN over protocol 1" sh -c "printf '%s\n' '$PIN' | '$CTL' unlock '$U' && '$CTL' deactivate '$U'"
stop_soft
ok "and again with protocol 2 only" start_soft --pin-protocols 2

ok "--fido2-device=list shows the configured device" sh -c "'$CTL' update --fido2-device=list | grep -qx 'unix:$SOCK'"

# --- the owner may not point the agent at another socket ------------------------------
out=$(printf '%s\n' "$PW" | setpriv --reuid="$U" --regid="$U" --clear-groups "$CTL" update "$U" \
        --fido2-device="unix:$T/elsewhere.sock" 2>&1); rc=$?
ok "the owner may not name an unconfigured FIDO2 device" test "$rc" -ne 0
ok "PermissionDenied says so" grep -q "Only root may name" <<<"$out"

# --- the password alongside; removal ------------------------------------------------
ok "an empty PIN falls back to the password" sh -c "printf '\n%s\n' '$PW' | '$CTL' unlock '$U' && '$CTL' deactivate '$U'"
ok "inspect lists the FIDO2 credential" sh -c "'$CTL' inspect '$U' | grep -q ' $SLOT systemd-fido2 io.systemd.cryptsetup'"
ok "remove the FIDO2 credential" "$CTL" remove-credential "$U" "$SLOT"
ok "the record no longer lists a FIDO2 credential" test -z "$(fido2_creds)"
ok "its keyslot and token are gone" sh -c "! cryptsetup luksDump '$IMG' | grep -q 'systemd-fido2' && ! cryptsetup luksDump '$IMG' | grep -q '^  $SLOT: luks2'"
ok "unlock now asks for the password only" sh -c "printf '%s\n' '$PW' | '$CTL' unlock '$U' && '$CTL' deactivate '$U'"

# --- no PIN, no presence: enrollment by update, unlock without a question ---------------
# The key has a PIN, so making the credential needs it; unlocking will not.
ok "update --fido2-with-client-pin=no --fido2-with-user-presence=no (PIN for enrollment)" \
        sh -c "printf '%s\n%s\n' '$PW' '$PIN' | '$CTL' update '$U' --fido2-device='unix:$SOCK' --fido2-with-client-pin=no --fido2-with-user-presence=no"
ok "the token says so" sh -c "cryptsetup luksDump --dump-json-metadata '$IMG' | grep -q '\"fido2-clientPin-required\":false'"
out=$("$CTL" unlock "$U" </dev/null 2>&1); rc=$?
ok "unlock needs no input at all" test "$rc" -eq 0
ok "deactivate" "$CTL" deactivate "$U"

stop_soft
ok "remove the home" "$CTL" remove "$U"
finish
