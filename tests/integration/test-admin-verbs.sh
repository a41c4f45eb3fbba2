#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# homefsctl's admin verbs: update (changeable fields, refusal of read-only and
# unknown fields and of bad values), authenticate (no state change), with
# (unlock, run, relock; exit status passed through), lock-all.
. "$(dirname "$0")/lib.sh"
need_privileges

start_agent
new_user_name U u
new_user_name V v
PW='pass word'
ok "create a home" create_home "$U" "$PW"
ok "create a second home" create_home "$V" "$PW"
[ "$tap_failed" -eq 0 ] || fail_now "cannot go on without homes"

field() { # field USER NAME: the record field as JSON
        "$CTL" inspect --json=short "$1" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["record"].get(sys.argv[1])))' "$2"
}

# --- update -----------------------------------------------------------------
before=$(field "$U" lastChangeUSec)
ok "update: real name" "$CTL" update "$U" --real-name="Ada Lovelace"
ok "update: the real name is stored" test "$(field "$U" realName)" = '"Ada Lovelace"'
ok "update: lastChangeUSec moved" test "$(field "$U" lastChangeUSec)" -gt "$before"
ok "update: email address" "$CTL" update "$U" --email-address=ada@example.org
ok "update: email stored" test "$(field "$U" emailAddress)" = '"ada@example.org"'
ok "update: shell" "$CTL" update "$U" --shell=/bin/sh
ok "update: shell stored" test "$(field "$U" shell)" = '"/bin/sh"'
ok "update: PBKDF settings" "$CTL" update "$U" --luks-pbkdf-type=argon2id --luks-pbkdf-time-cost=500ms \
        --luks-pbkdf-memory-cost=64M --luks-pbkdf-parallel-threads=2 --luks-pbkdf-hash-algorithm=sha512
ok "update: PBKDF type stored" test "$(field "$U" luksPbkdfType)" = '"argon2id"'
ok "update: PBKDF time cost stored" test "$(field "$U" luksPbkdfTimeCostUSec)" = 500000
ok "update: PBKDF memory stored" test "$(field "$U" luksPbkdfMemoryCost)" = $((64 << 20))
ok "update: discard" "$CTL" update "$U" --luks-discard=yes
ok "update: discard stored" test "$(field "$U" luksDiscard)" = true
ok "update: the record file holds the change" grep -q "Ada Lovelace" "$HOMEFS_STATE_DIR/records/$U.yaml"

refused() { # refused PATTERN ARGS...: homefsctl fails, says PATTERN, changes nothing
        local pat=$1 out rc; shift
        local rec; rec=$(cat "$HOMEFS_STATE_DIR/records/$U.yaml")
        out=$("$CTL" "$@" 2>&1); rc=$?
        echo "$out"
        [ "$rc" -ne 0 ] && echo "$out" | grep -qi -- "$pat" &&
                [ "$rec" = "$(cat "$HOMEFS_STATE_DIR/records/$U.yaml")" ]
}
ok "update: uid is read-only" refused "'uid' is read-only" update "$U" --uid=61000
ok "update: image path is read-only" refused "'imagePath' is read-only" update "$U" --image-path=/tmp/x
ok "update: home dir is read-only" refused "'homeDirectory' is read-only" update "$U" --home-dir=/tmp/x
ok "update: disk size points to resize" refused "homefsctl resize" update "$U" --disk-size=1G
ok "update: bad shell refused" refused "shell" update "$U" --shell=relative/sh
ok "update: bad PBKDF type refused" refused "luksPbkdfType" update "$U" --luks-pbkdf-type=md5
ok "update: bad boolean refused" refused "expected yes or no" update "$U" --luks-discard=maybe
ok "update: nothing to change is a usage error" refused "needs at least one" update "$U"
ok "update: no such home" refused "no home" update "hfnone$$" --real-name=x
out=$(setpriv --reuid="$U" --regid="$U" --clear-groups "$CTL" update "$U" --real-name=Eve 2>&1); rc=$?
ok "update: a user may not change their own record" sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'Only root'"
ok "update: a bare PBKDF time cost is seconds, as for homectl" "$CTL" update "$U" --luks-pbkdf-time-cost=2
ok "... 2 is stored as 2 s" test "$(field "$U" luksPbkdfTimeCostUSec)" = 2000000
ok "update: a bare time cost of 0 is refused (under 100 ms needs a unit)" refused "write the unit" update "$U" --luks-pbkdf-time-cost=0
ok "update: with a unit, a short time cost is taken as written" "$CTL" update "$U" --luks-pbkdf-time-cost=50ms
ok "... 50ms is stored as 50000 us" test "$(field "$U" luksPbkdfTimeCostUSec)" = 50000
"$CTL" update "$U" --luks-pbkdf-time-cost=500ms >/dev/null
ok "an invalid --recovery-key value is a usage error and nothing runs (exit 2)" \
        sh -c "printf '%s\n' '$PW' | '$CTL' --recovery-key=maybe unlock '$U'; test \$? = 2"
ok "... the home stayed locked" test "$(home_state "$U")" = locked
ok "an invalid --fido2-with-client-pin value is a usage error before the verb" \
        sh -c "'$CTL' --fido2-with-client-pin=maybe lock-all; test \$? = 2"
asks_password() {
        printf '%s\n' "$PW" | "$CTL" unlock --recovery-key=no "$U" >"$T/out" 2>&1
        cat "$T/out"
        ! grep -qi 'recovery key' "$T/out"
}
ok "unlock --recovery-key=no asks for the password, not a recovery key" asks_password
ok "... and the password unlocked the home" test "$(home_state "$U")" = unlocked
ok "lock again" "$CTL" lock "$U"
help_list_columns() {
        local cols
        cols=$("$CTL" list | head -1 | tr -s ' ' | sed 's/ $//')
        "$CTL" --help | grep -qF "List homes ($cols)"
}
ok "--help names list's columns as list prints them" help_list_columns
ok "--help: nothing but aliases under lock-all" sh -c "'$CTL' --help | grep -A1 '^  lock-all' | tail -1 | grep -q '^  [a-z]'"
ok "update: --locked=yes" "$CTL" update "$U" --locked=yes
ok "update: a locked account cannot unlock" refused "is locked" unlock "$U" --password-file=<(printf '%s\n' "$PW")
ok "update: --locked=no" "$CTL" update "$U" --locked=no

# --- authenticate -----------------------------------------------------------
ok "authenticate: right password" sh -c "printf '%s\n' '$PW' | '$CTL' authenticate '$U'"
ok "authenticate: the home stays locked" test "$(home_state "$U")" = locked
printf 'wrong\n' | "$CTL" authenticate "$U" >&2; rc=$?
ok "authenticate: wrong password exits 3" test "$rc" -eq 3
ok "authenticate: the owner may check their own" sh -c \
        "printf '%s\n' '$PW' | setpriv --reuid='$U' --regid='$U' --clear-groups '$CTL' authenticate"

# --- with -------------------------------------------------------------------
H=$T/home/$U
out=$(printf '%s\n' "$PW" | "$CTL" with "$U" -- sh -c "echo inside > '$H/with-file'; ls -a '$H' | grep -c with-file; exit 7"); rc=$?
ok "with: the command ran with the home unlocked" test "$out" = 1
ok "with: its exit status is passed through" test "$rc" -eq 7
ok "with: the home is locked again" test "$(home_state "$U")" = locked
ok "with: the file was written" sh -c "printf '%s\n' '$PW' | '$CTL' with '$U' -- cat '$H/with-file' | grep -qx inside"
ok "unlock" unlock_home "$U" "$PW"
ok "with: an unlocked home stays unlocked" sh -c "printf '%s\n' '$PW' | '$CTL' with '$U' -- true"
ok "with: still unlocked" test "$(home_state "$U")" = unlocked
printf 'wrong\n' | "$CTL" with "$U" -- touch "$T/must-not-exist" >&2; rc=$?
ok "with: a wrong password runs nothing" test "$rc" -eq 3 -a ! -e "$T/must-not-exist"

# --- list and inspect, text and JSON ---------------------------------------
ok "unlock for inspect" unlock_home "$U" "$PW"
setpriv --reuid="$U" --regid="$U" --clear-groups sh -c "cd '$H' && exec sleep 30" &
holder=$!
for _ in $(seq 50); do [ "$(readlink /proc/$holder/cwd)" = "$H" ] && break; sleep 0.1; done
ok "list --json parses" sh -c "'$CTL' list --json | python3 -m json.tool >/dev/null"
ok "list --json has the documented fields" sh -c "'$CTL' list --json=short | python3 -c '
import json, sys
h = {x[\"userName\"]: x for x in json.load(sys.stdin)[\"homes\"]}[\"$U\"]
for k in (\"userName\", \"uid\", \"homeDirectory\", \"imagePath\", \"state\", \"diskSize\", \"imageAllocated\", \"fileSystemSize\", \"fileSystemUsed\"):
    assert k in h, k
assert h[\"state\"] == \"unlocked\" and h[\"fileSystemUsed\"] > 0 and h[\"fileSystemSize\"] > h[\"fileSystemUsed\"]
'"
ok "list shows size and used" sh -c "'$CTL' list | grep '^$U ' | grep -E ' 256\.0M +[0-9.]+[KMG] '"
ok "inspect --json parses" sh -c "'$CTL' inspect --json '$U' | python3 -m json.tool >/dev/null"
ok "inspect --json has the documented fields" sh -c "'$CTL' inspect --json=short '$U' | python3 -c '
import json, sys
r = json.load(sys.stdin)
for k in (\"record\", \"state\", \"diskSize\", \"imageAllocated\", \"fileSystemSize\", \"fileSystemUsed\", \"credentials\", \"activation\", \"holders\"):
    assert k in r, k
assert r[\"credentials\"] == [{\"keyslot\": 0, \"type\": \"password\"}], r[\"credentials\"]
assert r[\"activation\"] == \"userspace\"
assert $holder in [p[\"pid\"] for p in r[\"holders\"]], r[\"holders\"]
'"
ok "inspect shows the holder" sh -c "'$CTL' inspect '$U' | grep 'Held open by' | grep -q '$holder sleep'"
ok "inspect shows the credentials" sh -c "'$CTL' inspect '$U' | grep -q 'Credentials: 0 password'"
kill "$holder"; wait "$holder" 2>/dev/null
ok "lock after inspect" "$CTL" lock "$U"

# --- lock-all ---------------------------------------------------------------
ok "unlock the second home" unlock_home "$V" "$PW"
ok "lock-all" "$CTL" lock-all
ok "lock-all: first home locked" test "$(home_state "$U")" = locked
ok "lock-all: second home locked" test "$(home_state "$V")" = locked
ok "deactivate-all with nothing unlocked succeeds" "$CTL" deactivate-all
ok "unlock both homes" sh -c "printf '%s\n' '$PW' | '$CTL' unlock '$U' && printf '%s\n' '$PW' | '$CTL' unlock '$V'"
ok "lock-all by a user" setpriv --reuid="$U" --regid="$U" --clear-groups "$CTL" lock-all
ok "lock-all by a user: their home locked" test "$(home_state "$U")" = locked
ok "lock-all by a user: another's home untouched" test "$(home_state "$V")" = unlocked

finish
