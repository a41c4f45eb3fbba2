#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The optional token features (meson -Dfido2=, -Dpkcs11=): homefs-agent
# --version lists what the build has (config.h). Where a feature is missing:
# the agent refuses its option, enrolling its token fails naming the feature,
# a home whose header carries such a token still unlocks with its password,
# and asking without a password says why the token cannot be used. CI builds
# both features, so those checks skip there; they run in a build configured
# with -Dfido2=disabled -Dpkcs11=disabled.
. "$(dirname "$0")/lib.sh"
need_privileges
command -v cryptsetup >/dev/null || skip_all "cryptsetup (cryptsetup-bin) is not installed"
CALL=$(dirname "$0")/helpers/agent-call.py
SOCK=$HOMEFS_RUNTIME_DIR/agent.sock
call() { /usr/bin/python3 "$CALL" "$SOCK" "$@"; }
built() { grep -qx "#define HAVE_$1 1" "$B/config.h"; }
# answered RC WANT PATTERN OUTPUT: RC is WANT ("!0": any failure), OUTPUT matches PATTERN.
answered() {
        if [ "$2" = '!0' ]; then [ "$1" -ne 0 ]; else [ "$1" -eq "$2" ]; fi && grep -q -- "$3" <<<"$4"
}

VERSION=$("$AGENT" --version)
diag "$VERSION"
for f in FIDO2 PKCS11; do
        sign=-; built $f && sign=+
        ok "--version lists $sign${f,,}, as the build has it" grep -qE -- " \\$sign${f,,}( |\$)" <<<"$VERSION"
done

start_agent
new_user_name U feat
PW=pw-$$
ok "create a home with a password" create_home "$U" "$PW"
IMG=$T/$U.home

# missing NAME OPTION TOKEN_JSON ENROLL_OPTION: the checks for one missing feature.
missing() {
        local name=$1 option=$2 token=$3 enroll=$4 out rc
        out=$("$AGENT" --$option=/nonexistent 2>&1); rc=$?
        ok "the agent refuses --$option, naming the missing $name support" answered $rc 2 "no $name support" "$out"
        out=$(printf '%s\n1234\n' "$PW" | "$CTL" update "$U" "$enroll" 2>&1); rc=$?
        diag "$out"
        ok "enrolling a $name token fails, naming the missing feature" answered $rc '!0' "built without $name support" "$out"
        ok "the header gets a $name token of keyslot 0 (as another build enrolled it)" \
                cryptsetup token import --json-file=<(printf '%s' "$token") "$IMG"
        out=$(call io.homefs.Agent.Unlock "{\"userName\":\"$U\"}"); rc=$?
        diag "$out"
        ok "unlock without a password: PasswordNeeded, saying the $name token cannot be used" \
                answered $rc 1 "PasswordNeeded.*built without.*$name" "$out"
        ok "the password still unlocks the home" unlock_home "$U" "$PW"
        ok "deactivate" "$CTL" deactivate "$U"
}

if built FIDO2; then
        skip_one "a build without FIDO2" "this build has FIDO2"
else
        missing FIDO2 fido2-device \
                '{"type":"systemd-fido2","keyslots":["0"],"fido2-credential":"AAAA","fido2-salt":"AAAA","fido2-rp":"io.systemd.cryptsetup"}' \
                --fido2-device=unix:$T/no.sock
fi
if built PKCS11; then
        skip_one "a build without PKCS#11" "this build has PKCS#11"
else
        missing PKCS#11 pkcs11-module \
                '{"type":"systemd-pkcs11","keyslots":["0"],"pkcs11-uri":"pkcs11:token=t","pkcs11-key":"AAECAwQFBgc="}' \
                --pkcs11-token-uri=pkcs11:token=t
fi
finish
