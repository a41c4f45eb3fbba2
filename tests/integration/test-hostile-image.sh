#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile images and paths (issue 13, points 1-3), each attack performed:
#  1. an image header whose systemd-pkcs11 token names a module-path the
#     user controls: never loaded (the library records every load), however
#     often Unlock is called; the agent only loads what the administrator
#     configured (--pkcs11-module) and p11-kit's proxy;
#  2. a token whose module fails to load: an error reply, never a crash,
#     and token probes do not load modules at the caller's pace;
#  3. homes under a directory that a user can write (an ancestor, not the
#     parent), a symlink swapped in: refused at create, at agent start, at
#     unlock, at update and at homefsd start, naming the directory; nothing
#     mounted elsewhere.
# The agent's pid is the same from start to end: it never crashed.
. "$(dirname "$0")/lib.sh"
need_privileges
require_feature pkcs11
command -v cryptsetup >/dev/null || skip_all "cryptsetup (cryptsetup-bin) is not installed"
MARKER_SO=$B/tests/integration/marker-module.so
[ -f "$MARKER_SO" ] || { echo "Bail out! $MARKER_SO is not built"; exit 1; }
CALL=$(dirname "$0")/helpers/agent-call.py
SOCK=$HOMEFS_RUNTIME_DIR/agent.sock
LOADED=$HOMEFS_RUNTIME_DIR/module-loaded
call() { /usr/bin/python3 "$CALL" "$SOCK" "$@"; }
loads() { [ -e "$LOADED" ] && wc -l <"$LOADED" || echo 0; }

# The administrator's module: a copy of the marker in a root-only directory.
# It is not a PKCS#11 module: loading it fails after its constructor ran.
install -d -m 0755 "$T/admin-modules"
install -m 0755 "$MARKER_SO" "$T/admin-modules/broken.so"
start_agent --pkcs11-module="$T/admin-modules/broken.so"
AGENT_PID0=$AGENT_PID
# lib.sh's agent_alive(), and the pid is still the one started here.
same_agent() { [ "$AGENT_PID" = "$AGENT_PID0" ] && agent_alive; }

new_user_name U hi
PW=pw-$$
ok "create a home" create_home "$U" "$PW"
IMG=$T/$U.home

# set_token URI: the image's only systemd-pkcs11 token names URI (keyslot 0).
set_token() {
        local id
        for id in $(cryptsetup luksDump --dump-json-metadata "$IMG" | python3 -c '
import json, sys
print(" ".join(k for k, t in json.load(sys.stdin)["tokens"].items() if t["type"] == "systemd-pkcs11"))'); do
                cryptsetup token remove --token-id "$id" "$IMG" || return 1
        done
        printf '{"type":"systemd-pkcs11","keyslots":["0"],"pkcs11-uri":"%s","pkcs11-key":"AAECAwQFBgc="}' "$1" |
                cryptsetup token import "$IMG"
}
# unlock_reply [PARAMS]: an Unlock call without a password (a probe), or with
# the extra parameters given; succeeds if the agent answered with an error.
unlock_error() {
        local out rc
        out=$(call io.homefs.Agent.Unlock "{\"userName\":\"$U\"${1:+,$1}}"); rc=$?
        echo "$out"
        [ "$rc" -eq 1 ]
}

# --- 1. a module path from the header is never loaded ------------------------------
# The user owns $T/attic; the module sits in a root-owned directory inside it
# with a root-owned file, which passed the old check of the parent only. The
# user could rename lib/ at will between the agent's check and its load.
install -d -m 0755 -o "$U" "$T/attic"
install -d -m 0755 "$T/attic/lib"
install -m 0755 "$MARKER_SO" "$T/attic/lib/evil.so"
ok "the header's token names the user's module" set_token "pkcs11:token=t?module-path=$T/attic/lib/evil.so"
rm -f "$LOADED"
fails=0
for i in $(seq 30); do unlock_error >/dev/null || fails=$((fails + 1)); done
ok "30 Unlock probes without a secret: each an error reply" test "$fails" -eq 0
ok "the probes name what is needed (PasswordNeeded)" sh -c "$(declare -f unlock_error call); CALL='$CALL' SOCK='$SOCK' U='$U' unlock_error | grep -q PasswordNeeded"
ok "Unlock with a PIN: an error reply" sh -c "$(declare -f unlock_error call); CALL='$CALL' SOCK='$SOCK' U='$U' unlock_error '\"pin\":\"123456\"' | grep -q 'not one the administrator configured'"
ok "the user's module was never loaded (no marker)" test ! -e "$LOADED"
ok "the agent says why" grep -q "refusing the PKCS#11 module $T/attic/lib/evil.so: not configured" "$T/agent.log"
ok "the agent is alive (same pid)" same_agent
ok "the password still unlocks" sh -c "printf '%s\n' '$PW' | '$CTL' unlock '$U' && '$CTL' deactivate '$U'"

# --- 2. a token whose module fails to load ----------------------------------------
ok "the header's token names the administrator's broken module" set_token "pkcs11:token=t?module-path=$T/admin-modules/broken.so"
rm -f "$LOADED"
# The home's last probe answer (section 1's) is reused for 2 s: let it expire.
sleep 2.2
t0=$(date +%s%N)
fails=0
for i in $(seq 30); do unlock_error >/dev/null || fails=$((fails + 1)); done
secs=$(( ($(date +%s%N) - t0) / 1000000000 + 1 ))
ok "30 probes: each an error reply" test "$fails" -eq 0
ok "the agent is alive (same pid) after loads that failed" same_agent
ok "the broken module was loaded (and failed)" grep -q "cannot load the PKCS#11 module $T/admin-modules/broken.so" "$T/agent.log"
diag "30 probes in ${secs} s loaded the module $(loads) times"
ok "probes are cached: at most one load per 2 s (+1), not one per call" test "$(loads)" -le $(( secs / 2 + 1 ))
ok "Unlock with a PIN: an error reply" unlock_error '"pin":"123456"'
ok "the agent is alive (same pid)" same_agent
ok "the password still unlocks" sh -c "printf '%s\n' '$PW' | '$CTL' unlock '$U' && '$CTL' deactivate '$U'"
# A URI the token parser accepts but p11-kit cannot parse, an empty one.
for uri in 'pkcs11:%zz;;=?&module-path' 'pkcs11:' 'pkcs11:?module-path=' "pkcs11:?module-path=$T/admin-modules"; do
        set_token "$uri" >&2
        unlock_error >/dev/null
        unlock_error '"pin":"1"' >/dev/null
done
ok "odd URIs in the header: the agent is alive (same pid)" same_agent
# A module path with a newline, an escape sequence and a C1 CSI (U+009B,
# which some terminals take for ESC [; percent-encoded in the URI): the
# agent's log line about it stays one line, so the header cannot forge a
# line (nor its journal priority) or drive a terminal.
ok "the header's module path carries a newline, ESC and a C1 CSI" \
        set_token "pkcs11:token=t?module-path=/nonexistent%0Ahomefs-agent%3A%20FORGED%20LINE%1B%5B2J%C2%9B2J"
unlock_error '"pin":"1"' >/dev/null
ok "the agent logged the refusal, escaped" grep -qF 'nonexistent\nhomefs-agent: FORGED LINE\e[2J\xc2\x9b2J' "$T/agent.log"
ok "no log line was forged" sh -c "! grep -q '^homefs-agent: FORGED' '$T/agent.log'"
ok "no escape sequence reached the log" eval "! grep -q \$'\\x1b' '$T/agent.log'"
ok "no C1 control reached the log" eval "! LC_ALL=C grep -q \$'\\xc2\\x9b' '$T/agent.log'"

# --- 3. every directory above a home is root's alone -------------------------------
# $T/shared is the user's (an ancestor two levels up, not the parent): the old
# check looked at the parent only.
install -d -m 0755 -o "$U" "$T/shared"
install -d -m 0755 "$T/shared/homes" "$T/img3"
# What the user would like root to mount over (think /etc/profile.d).
install -d -m 0755 "$T/target"
mounted_on_target() { awk -v t="$T/target" 'index($2, t) == 1' /proc/self/mounts | grep -q .; }
new_user_name W hw
out=$(printf '%s\n' "$PW" | "$CTL" create "$W" --enforce-password-policy=no --home-dir="$T/shared/homes/$W" --image-path="$T/img3/$W.home" \
        --disk-size=256M --luks-pbkdf-type=pbkdf2 --luks-pbkdf-force-iterations=1000 2>&1); rc=$?
echo "$out" >&2
ok "create under a user-writable ancestor is refused" test "$rc" -ne 0
ok "the refusal names the directory at fault ($T/shared)" grep -q "directory $T/shared above the home directory" <<<"$out"
ok "nothing was created" sh -c "test -z \"\$(ls -A '$T/img3')\" && ! test -e '$T/shared/homes/$W' && ! getent passwd '$W'"
install -d -m 0755 "$T/real"
ln -s "$T/real" "$T/linked"
out=$(printf '%s\n' "$PW" | "$CTL" create "$W" --enforce-password-policy=no --home-dir="$T/linked/$W" --image-path="$T/img3/$W.home" \
        --disk-size=256M --luks-pbkdf-type=pbkdf2 --luks-pbkdf-force-iterations=1000 2>&1); rc=$?
ok "create below a symlinked directory (root's) is refused, naming it" sh -c "test $rc -ne 0 && grep -q '$T/linked, on the way' <<'EOF2'
$out
EOF2"

# A home made where all was well; then its grandparent is given to the user,
# who swaps a symlink in for the parent while the agent is down.
install -d -m 0755 "$T/later" "$T/later/homes"
new_user_name X hx
ok "create a home under root's directories" sh -c "printf '%s\n' '$PW' | '$CTL' create '$X' --enforce-password-policy=no --home-dir='$T/later/homes/$X' \
        --image-path='$T/img3/$X.home' --disk-size=256M --luks-pbkdf-type=pbkdf2 --luks-pbkdf-force-iterations=1000"
ok "its front is up (inactive)" wait_state "$X" inactive
stop_agent
chown "$U" "$T/later"
install -d -m 0000 "$T/target/$X"
ok "the user swaps a symlink in for the home's parent" run_as "$U" sh -c "mv '$T/later/homes' '$T/later/old' && ln -s '$T/target' '$T/later/homes'"
start_agent --pkcs11-module="$T/admin-modules/broken.so"
AGENT_PID0=$AGENT_PID
ok "at agent start: the front is not started, the directory named" \
        wait_until 5 grep -q "not starting the front of $X: The directory $T/later above the image\|not starting the front of $X: The directory $T/later above the home directory" "$T/agent.log"
ok "at agent start: nothing is mounted over the target" eval '! mounted_on_target'
out=$(printf '%s\n' "$PW" | "$CTL" unlock "$X" 2>&1); rc=$?
echo "$out" >&2
ok "unlock is refused, naming $T/later" sh -c "test $rc -ne 0 && grep -q 'directory $T/later above' <<'EOF2'
$out
EOF2"
ok "after unlock: nothing is mounted over the target" eval '! mounted_on_target'
out=$("$CTL" update "$X" --real-name=Someone 2>&1); rc=$?
echo "$out" >&2
ok "update is refused, naming $T/later" sh -c "test $rc -ne 0 && grep -q 'directory $T/later above' <<'EOF2'
$out
EOF2"
out=$(timeout 20 "$HOMEFSD" --no-agent "$X" 2>&1); rc=$?
echo "$out" >&2
ok "at homefsd start: refused (exit status $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
ok "homefsd names the directory at fault" grep -q "refusing to mount on $T/later/homes/$X: the directory $T/later must belong to root" <<<"$out"
ok "at homefsd start: nothing is mounted over the target" eval '! mounted_on_target'
# Even with the grandparent root's again, the symlink itself is refused.
chown root "$T/later"
out=$(timeout 20 "$HOMEFSD" --no-agent "$X" 2>&1); rc=$?
ok "homefsd refuses the symlinked parent, naming it" sh -c "test $rc -ne 0 -a $rc -ne 124 && grep -q '$T/later/homes is a symbolic link' <<'EOF2'
$out
EOF2"
ok "nothing is mounted over the target" eval '! mounted_on_target'
ok "the agent is alive (same pid)" same_agent
finish
