#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# PKCS#11 and recovery-key credentials end to end: a SoftHSM2 token of this
# test's own (SOFTHSM2_CONF) with an RSA 2048 key and certificate and an EC
# P-256 key pair, enrolled with systemd's token formats; unlock with the PIN,
# wrong PIN, recovery key, cryptsetup cross-checks, removal of credentials.
. "$(dirname "$0")/lib.sh"
need_privileges
require_feature pkcs11
SOFTHSM_MODULE=/usr/lib/softhsm/libsofthsm2.so
command -v cryptsetup >/dev/null || skip_all "cryptsetup (cryptsetup-bin) is not installed"
command -v softhsm2-util >/dev/null && [ -e "$SOFTHSM_MODULE" ] || skip_all "SoftHSM2 (softhsm2) is not installed"
command -v pkcs11-tool >/dev/null || skip_all "pkcs11-tool (opensc) is not installed"

# --- the token ---------------------------------------------------------------
export SOFTHSM2_CONF=$T/softhsm2.conf
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$T/tokens" >"$SOFTHSM2_CONF"
LABEL=hf$$
PIN=pin4Token$$ BADPIN=wrongPin$$ PW=pw1-$$
remember_secret "$PIN"; remember_secret "$BADPIN"; remember_secret "$PW"
p11() { pkcs11-tool --module "$SOFTHSM_MODULE" --login --pin "$PIN" "$@" >&2 2>&1; }
make_token() {
        softhsm2-util --init-token --free --label "$LABEL" --pin "$PIN" --so-pin "so$PIN" &&
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/rsa.pem" -out "$T/rsa.crt" -subj "/CN=$LABEL" -days 2 2>/dev/null &&
        openssl pkey -in "$T/rsa.pem" -outform DER -out "$T/rsa.der" &&
        openssl x509 -in "$T/rsa.crt" -outform DER -out "$T/rsa.crt.der" &&
        p11 --write-object "$T/rsa.der" --type privkey --id 01 --label rsa &&
        p11 --write-object "$T/rsa.crt.der" --type cert --id 01 --label rsa &&
        p11 --keypairgen --key-type EC:prime256v1 --id 02 --label ec
}
ok "SoftHSM2 token with an RSA key + certificate and an EC P-256 key pair" make_token
[ "$tap_failed" -eq 0 ] || fail_now "cannot go on without a token"
# RSA through the module named in the URI; EC through p11-kit's proxy, which
# finds SoftHSM2 among the registered modules.
RSA_URI="pkcs11:token=$LABEL;id=%01?module-path=$SOFTHSM_MODULE"
EC_URI="pkcs11:token=$LABEL;id=%02"

# The administrator's configuration: SoftHSM2's module; p11-kit's proxy is
# always offered.
start_agent --pkcs11-module="$SOFTHSM_MODULE"
AGENT_PID0=$AGENT_PID
new_user_name U k
IMG=$T/$U.home

tokens_json() { cryptsetup luksDump --dump-json-metadata "$IMG" 2>/dev/null || cryptsetup luksDump "$IMG"; }
token_field_sets() { # the sorted field sets of the tokens of a type, one per line
        cryptsetup luksDump --dump-json-metadata "$IMG" | python3 -c '
import json, sys
for t in json.load(sys.stdin)["tokens"].values():
    if t["type"] == sys.argv[1]:
        print(",".join(sorted(t)))' "$1"
}
keyslot_of() { # keyslot_of TYPE [N]: the keyslot of the Nth token of TYPE
        cryptsetup luksDump --dump-json-metadata "$IMG" | python3 -c '
import json, sys
ts = [t for _, t in sorted(json.load(sys.stdin)["tokens"].items(), key=lambda x: int(x[0])) if t["type"] == sys.argv[1]]
print(ts[int(sys.argv[2])]["keyslots"][0])' "$1" "${2:-0}"
}
pkcs11_secret() { # the base64 passphrase of the RSA token's keyslot, decrypted with the test's key
        cryptsetup luksDump --dump-json-metadata "$IMG" | python3 -c '
import json, sys
ts = [t for t in json.load(sys.stdin)["tokens"].values() if t["type"] == "systemd-pkcs11" and "%01" in t["pkcs11-uri"]]
print(ts[0]["pkcs11-key"])' | base64 -d | openssl pkeyutl -decrypt -inkey "$T/rsa.pem" -pkeyopt rsa_padding_mode:pkcs1 | base64 -w0
}

# --- create with a recovery key and the RSA key --------------------------------
out=$(printf '%s\n' "$PW" | "$CTL" create "$U" --home-dir="$T/home/$U" --image-path="$IMG" --enforce-password-policy=no --disk-size=256M \
        --luks-pbkdf-type=pbkdf2 --luks-pbkdf-force-iterations=1000 --recovery-key=yes --pkcs11-token-uri="$RSA_URI" 2>&1)
ok "create with --recovery-key=yes --pkcs11-token-uri (RSA)" test $? -eq 0
RK=$(echo "$out" | grep -E '^[cbdefghijklnrtuv]{8}(-[cbdefghijklnrtuv]{8}){7}$')
ok "the recovery key is printed once, in modhex groups" test -n "$RK"
[ -n "$RK" ] || fail_now "no recovery key: $out"
remember_secret "$RK"
ok "luksDump: a systemd-recovery token with systemd's fields" test "$(token_field_sets systemd-recovery)" = "keyslots,type"
ok "luksDump: a systemd-pkcs11 token with systemd's fields" test "$(token_field_sets systemd-pkcs11)" = "keyslots,pkcs11-key,pkcs11-uri,type"
ok "cryptsetup opens the recovery keyslot with the key" sh -c "printf %s '$RK' | cryptsetup open --test-passphrase --key-slot=$(keyslot_of systemd-recovery) --key-file=- '$IMG'"
SECRET=$(pkcs11_secret)
remember_secret "$SECRET"
ok "the RSA secret is half the modulus (128 bytes)" test "$(printf %s "$SECRET" | base64 -d | wc -c)" -eq 128
ok "cryptsetup opens the PKCS#11 keyslot with base64(secret)" sh -c "printf %s '$SECRET' | cryptsetup open --test-passphrase --key-slot=$(keyslot_of systemd-pkcs11) --key-file=- '$IMG'"
record_list() { home_record "$U" "$1" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin) or []))'; }
ok "the record lists the enrolled PKCS#11 URI (pkcs11TokenUri)" test "$(record_list pkcs11TokenUri)" = "$RSA_URI"
ok "inspect lists password, recovery and PKCS#11 credentials" sh -c "'$CTL' inspect '$U' | grep -q 'Credentials: 0 password' && '$CTL' inspect '$U' | grep -q 'systemd-recovery' && '$CTL' inspect '$U' | grep -q 'systemd-pkcs11 pkcs11:'"

# --- unlock with the PIN --------------------------------------------------------
t0=$(date +%s%N)
ok "unlock asks for the PIN (token present) and opens with it" sh -c "printf '%s\n' '$PIN' | '$CTL' unlock '$U'"
diag "unlock with the RSA token (SoftHSM2) took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
ok "active" test "$(home_state "$U")" = active
ok "deactivate" "$CTL" deactivate "$U"
out=$(printf '%s\n' "$BADPIN" | "$CTL" unlock "$U" 2>&1); rc=$?
ok "wrong PIN: fails with exit status 3" test "$rc" -eq 3
ok "wrong PIN: the BadPin message" grep -qi "wrong PIN" <<<"$out"
ok "wrong PIN: still inactive" test "$(home_state "$U")" = inactive
ok "an empty PIN falls back to the password" sh -c "printf '\n$PW\n' | '$CTL' unlock '$U'"
ok "deactivate" "$CTL" deactivate "$U"

# --- the recovery key -----------------------------------------------------------
ok "unlock --recovery-key with the key" sh -c "printf '%s\n' '$RK' | '$CTL' unlock --recovery-key '$U'"
ok "deactivate" "$CTL" deactivate "$U"
RK_UPPER_NODASH=$(echo "$RK" | tr -d - | tr a-z A-Z)
ok "the key typed without dashes in upper case, at the password prompt" sh -c "printf '\n%s\n' '$RK_UPPER_NODASH' | '$CTL' unlock '$U'"
ok "deactivate" "$CTL" deactivate "$U"

# --- EC through p11-kit's proxy ---------------------------------------------------
if [ -e /usr/lib/x86_64-linux-gnu/p11-kit-proxy.so ] || [ -e /usr/lib/p11-kit-proxy.so ]; then
        ok "update --pkcs11-token-uri (EC P-256)" sh -c "printf '$PW\n' | '$CTL' update '$U' --pkcs11-token-uri='$EC_URI'"
        ok "two systemd-pkcs11 tokens now" test "$(token_field_sets systemd-pkcs11 | wc -l)" -eq 2
        # Remove the RSA credential so that only the EC token can open it.
        RSA_SLOT=$(keyslot_of systemd-pkcs11 0)
        ok "remove the RSA credential" "$CTL" remove-credential "$U" "$RSA_SLOT"
        ok "its keyslot and token are gone" sh -c "! cryptsetup luksDump --dump-json-metadata '$IMG' | grep -q '%01' && ! cryptsetup luksDump '$IMG' | grep -q '^  $RSA_SLOT: luks2'"
        ok "unlock with the PIN (EC: ECDH on the token)" sh -c "printf '%s\n' '$PIN' | '$CTL' unlock '$U'"
        ok "the agent used the token" grep -q "$U: opened by PKCS#11 token" "$T/agent.log"
        ok "deactivate" "$CTL" deactivate "$U"
else
        diag "p11-kit-proxy.so missing: EC enrollment not tested"
fi

# --- what the agent (root) may be made to load -------------------------------------
out=$(printf '%s\n' "$PW" | setpriv --reuid="$U" --regid="$U" --clear-groups "$CTL" update "$U" \
        --pkcs11-token-uri="$RSA_URI" 2>&1); rc=$?
ok "the owner may not name a PKCS#11 module-path" test "$rc" -ne 0
ok "PermissionDenied says so" grep -q "Only root may name a PKCS#11 module" <<<"$out"
cp "$SOFTHSM_MODULE" "$T/evil.so" && chmod 666 "$T/evil.so"
out=$(printf '%s\n' "$PW" | "$CTL" update "$U" --pkcs11-token-uri="pkcs11:token=$LABEL;id=%01?module-path=$T/evil.so" 2>&1); rc=$?
ok "root's request for a world-writable module is refused too" test "$rc" -ne 0
ok "the agent logs why" grep -q "refusing the PKCS#11 module $T/evil.so" "$T/agent.log"

# --- list and auto ----------------------------------------------------------------
out=$("$CTL" update --pkcs11-token-uri=list 2>&1)
ok "--pkcs11-token-uri=list shows the RSA key's URI" grep -q "^pkcs11:.*token=$LABEL.*id=%01.*(rsa)" <<<"$out"
ok "and the EC key's" grep -q "^pkcs11:.*token=$LABEL.*id=%02.*(ec)" <<<"$out"
out=$(printf '%s\n' "$PW" | "$CTL" update "$U" --pkcs11-token-uri=auto 2>&1); rc=$?
ok "auto with two keys present fails" test "$rc" -ne 0
ok "and refuses to guess" grep -q "Several PKCS#11 keys" <<<"$out"

# --- removal ----------------------------------------------------------------------
ok "the password still works" sh -c "printf '\n$PW\n' | '$CTL' unlock '$U' && '$CTL' deactivate '$U'"
ok "the recovery key still works" sh -c "printf '%s\n' '$RK' | '$CTL' unlock --recovery-key '$U' && '$CTL' deactivate '$U'"
# Through PAM (pamtester): the token's PIN prompt left empty, then the
# recovery key where the password is asked for.
if command -v pamtester >/dev/null; then
        install_pam_service CRED_SVC cred <<EOF2
auth required $B/pam/pam_homefs.so runtime_dir=$HOMEFS_RUNTIME_DIR state_dir=$HOMEFS_STATE_DIR
EOF2
        pam_secret() { printf '\n%s\n' "$1" | with_pam_module pamtester "$CRED_SVC" "$U" authenticate; }
        ok "PAM: auth with the recovery key unlocks the home" pam_secret "$RK"
        ok "PAM: active" test "$(home_state "$U")" = active
        ok "deactivate" "$CTL" deactivate "$U"
        ok "PAM: a wrong recovery key is refused" eval '! pam_secret "$(tr a-z b-za <<<"$RK")"'
else
        diag "pamtester is not installed: the PAM path of the recovery key was not tested"
fi
for s in $( home_status "$U" credentials | python3 -c 'import json,sys; print(" ".join(str(c["keyslot"]) for c in json.load(sys.stdin) if c["type"] != "password"))'); do
        "$CTL" remove-credential "$U" "$s" >&2
done
ok "after removing the tokens the record lists no PKCS#11 URI" test -z "$(record_list pkcs11TokenUri)"
out=$("$CTL" remove-credential "$U" 0 2>&1); rc=$?
ok "removing the last credential is refused" test "$rc" -ne 0
ok "with the LastCredential message" grep -qi "last credential" <<<"$out"
ok "the password still works after all that" sh -c "printf '$PW\n' | '$CTL' unlock '$U' && '$CTL' deactivate '$U'"

# --- systemd-cryptenroll's recovery key opens the home -----------------------------
if command -v systemd-cryptenroll >/dev/null; then
        # PASSWORD is how systemd-cryptenroll 252 takes the existing passphrase.
        SD_RK=$(PASSWORD=$PW timeout 60 systemd-cryptenroll --recovery-key "$IMG" 2>/dev/null |
                grep -E '^[cbdefghijklnrtuv]{8}(-[cbdefghijklnrtuv]{8}){7}$')
        remember_secret "${SD_RK:-none}"
        ok "systemd-cryptenroll enrolled a recovery key into the home's image" test -n "$SD_RK"
        ok "homefsctl unlocks with systemd's recovery key" sh -c "printf '%s\n' '$SD_RK' | '$CTL' unlock --recovery-key '$U' && '$CTL' deactivate '$U'"
else
        diag "systemd-cryptenroll missing: no cross-check with systemd's enrollment"
fi

ok "remove the home" "$CTL" remove "$U"
finish
