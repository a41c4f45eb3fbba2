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

field() { home_record "$@"; } # field USER NAME: the record field as JSON

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
ok "list --json parses" sh -c "'$CTL' list --json=pretty | python3 -m json.tool >/dev/null"
ok "list --json is an array of row objects with homectl's columns" sh -c "'$CTL' list --json=short | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert isinstance(rows, list) and all(isinstance(x, dict) for x in rows), rows
h = {x[\"name\"]: x for x in rows}[\"$U\"]
for k in (\"name\", \"uid\", \"gid\", \"state\", \"home\", \"shell\", \"image\", \"size\", \"used\"):
    assert k in h, k
assert h[\"state\"] == \"unlocked\" and h[\"used\"] > 0 and h[\"size\"] == 256 << 20, h
assert h[\"home\"] == \"$H\" and h[\"uid\"] == h[\"gid\"], h
'"
ok "list shows size and used" sh -c "'$CTL' list | grep '^$U ' | grep -E ' 256\.0M +[0-9.]+[KMG] '"
ok "inspect --json parses" sh -c "'$CTL' inspect --json=pretty '$U' | python3 -m json.tool >/dev/null"
ok "inspect --json is the record, runtime state under status.MACHINE-ID" sh -c "'$CTL' inspect --json=short '$U' | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r[\"userName\"] == \"$U\" and r[\"homeDirectory\"] == \"$H\" and \"record\" not in r, r
(mid, st), = r[\"status\"].items()
assert mid == open(\"/etc/machine-id\").read().strip(), mid
for k in (\"service\", \"state\", \"sessions\", \"diskSize\", \"diskUsage\", \"diskFree\", \"imageAllocated\", \"credentials\", \"activation\", \"holders\"):
    assert k in st, k
assert st[\"state\"] == \"unlocked\" and st[\"service\"] == \"io.homefs.Agent\" and st[\"diskUsage\"] > 0
assert st[\"credentials\"] == [{\"keyslot\": 0, \"type\": \"password\"}], st[\"credentials\"]
assert st[\"activation\"] == \"userspace\"
assert $holder in [p[\"pid\"] for p in st[\"holders\"]], st[\"holders\"]
'"
ok "inspect --export is the record without status" sh -c "'$CTL' inspect --export '$U' | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r[\"userName\"] == \"$U\" and \"status\" not in r
'"
pretty_lines() { "$CTL" "$@" | python3 -c 'import json,sys; t=sys.stdin.read(); assert json.loads(t) is not None; print(len(t.splitlines()))'; }
ok "-j is --json=pretty: inspect" test "$(pretty_lines -j inspect "$U")" -gt 5
ok "-j is --json=pretty: list" test "$(pretty_lines list -j)" -gt 3
ok "--json without its argument is refused" refused "needs a value" list --json
ok "--json=yes is refused" refused "expected pretty, short or off" list --json=yes
ok "--json on a verb that prints no JSON is refused" refused "prints no JSON" remove "$U" --json=short
ok "--json=off is accepted everywhere" "$CTL" --json=off authenticate "$U" --password-file=<(printf '%s\n' "$PW")
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

# --- several users per verb (homectl: all are tried, first failure's status) --
NONE=hfnone$$
ok "unlock U V: both unlocked" sh -c "printf '%s\n%s\n' '$PW' '$PW' | '$CTL' unlock '$U' '$V'"
ok "unlock U V: U unlocked" test "$(home_state "$U")" = unlocked
ok "unlock U V: V unlocked" test "$(home_state "$V")" = unlocked
ok "inspect U V --json: one record after the other" sh -c "'$CTL' inspect --json=short '$U' '$V' | python3 -c '
import json, sys
t = sys.stdin.read(); d = json.JSONDecoder(); a, i = d.raw_decode(t); b, _ = d.raw_decode(t[i:].lstrip())
assert (a[\"userName\"], b[\"userName\"]) == (\"$U\", \"$V\")
'"
"$CTL" lock "$NONE" "$U" "$V" >&2; rc=$?
ok "lock NONE U V: exits with the first failure (no such home: 4)" test "$rc" -eq 4
ok "lock NONE U V: U locked all the same" test "$(home_state "$U")" = locked
ok "lock NONE U V: V locked all the same" test "$(home_state "$V")" = locked
printf '%s\n%s\n' "$PW" "$PW" | "$CTL" authenticate "$U" "$NONE" "$V" >&2; rc=$?
ok "authenticate U NONE V: exit 4, the others checked" test "$rc" -eq 4
out=$(printf '%s\nwrong\n' "$PW" | "$CTL" authenticate "$U" "$V" 2>&1); rc=$?
ok "authenticate U V with V's password wrong: exit 3, U said correct" sh -c "[ $rc -eq 3 ] && echo '$out' | grep -q 'password of $U is correct'"

# --- new record flags: set their field, refuse bad values ---------------------
ok "--rate-limit-interval/--rate-limit-burst" "$CTL" update "$U" --rate-limit-interval=30s --rate-limit-burst=5
ok "rateLimitIntervalUSec stored" test "$(field "$U" rateLimitIntervalUSec)" = 30000000
ok "rateLimitBurst stored" test "$(field "$U" rateLimitBurst)" = 5
ok "--rate-limit-interval=soon refused" refused "expected seconds or a duration" update "$U" --rate-limit-interval=soon
ok "--rate-limit-burst=0 refused (schema: 1..1000)" refused "rateLimitBurst" update "$U" --rate-limit-burst=0
ok "--not-after='YYYY-MM-DD HH:MM:SS UTC'" "$CTL" update "$U" --not-after="2099-01-02 03:04:05 UTC"
ok "notAfterUSec stored" test "$(field "$U" notAfterUSec)" = "$(( $(date -ud '2099-01-02 03:04:05' +%s) * 1000000 ))"
ok "--not-before=@EPOCH" "$CTL" update "$U" --not-before=@1700000000
ok "notBeforeUSec stored" test "$(field "$U" notBeforeUSec)" = 1700000000000000
ok "--not-before in local time" "$CTL" update "$U" --not-before="2001-02-03 04:05:06"
ok "local time stored" test "$(field "$U" notBeforeUSec)" = "$(( $(date -d '2001-02-03 04:05:06' +%s) * 1000000 ))"
ok "--not-after=tomorrow refused" refused "YYYY-MM-DD" update "$U" --not-after=tomorrow
ok "--not-after=@0 refused" refused "YYYY-MM-DD" update "$U" --not-after=@0
ok "--not-before= --not-after= unset them" "$CTL" update "$U" --not-before= --not-after=
ok "notBeforeUSec unset" test "$(field "$U" notBeforeUSec)" = null
ok "notAfterUSec unset" test "$(field "$U" notAfterUSec)" = null
ok "--keep-unlocked-after-logout=yes" "$CTL" update "$U" --keep-unlocked-after-logout=yes
ok "keepUnlockedAfterLogout stored" test "$(field "$U" keepUnlockedAfterLogout)" = true
ok "--keep-unlocked-after-logout=maybe refused" refused "expected yes or no" update "$U" --keep-unlocked-after-logout=maybe
ok "--keep-unlocked-after-logout=no" "$CTL" update "$U" --keep-unlocked-after-logout=no
ok "--luks-cipher is fixed at create" refused "'luksCipher' is read-only" update "$U" --luks-cipher=aes
W=${U}w
ok "create refuses --luks-cipher=serpent" sh -c "! printf 'k7#Vq9-zLm2!pR\n' | '$CTL' create '$W' --image-path='$T/$W.home' --home-dir='$T/home/$W' --luks-cipher=serpent 2>&1 | tee /dev/stderr | grep -q Created"
ok "create refuses --luks-cipher-mode=cbc-essiv:sha256" sh -c "printf 'k7#Vq9-zLm2!pR\n' | '$CTL' create '$W' --image-path='$T/$W.home' --home-dir='$T/home/$W' --luks-cipher-mode=cbc-essiv:sha256 2>&1 | grep -q luksCipherMode"
ok "create refuses --luks-volume-key-size=32" sh -c "printf 'k7#Vq9-zLm2!pR\n' | '$CTL' create '$W' --image-path='$T/$W.home' --home-dir='$T/home/$W' --luks-volume-key-size=32 2>&1 | grep -q luksVolumeKeySize"
ok "create refuses --luks-volume-key-size=big" refused "expected a whole number" create "$W" --luks-volume-key-size=big
ok "nothing was made for them" test ! -e "$T/$W.home"

# --- password quality (libpwquality, as homectl's --enforce-password-policy) --
out=$(printf 'password\npassword\n' | "$CTL" create "$W" --image-path="$T/$W.home" --home-dir="$T/home/$W" 2>&1); rc=$?
echo "$out" >&2
ok "create refuses the password 'password'" sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'too weak' && [ ! -e '$T/$W.home' ]"
ok "create --json: a strong password is accepted (and aes, xts-plain64, 64-byte keys spelled out); the record is printed" sh -c \
        "printf '%s\n' 'k7#Vq9-zLm2!pR' | '$CTL' create --json=short '$W' --image-path='$T/$W.home' --home-dir='$T/home/$W' --disk-size=256M \
         --luks-pbkdf-type=pbkdf2 --luks-pbkdf-force-iterations=1000 --luks-cipher=aes --luks-cipher-mode=xts-plain64 --luks-volume-key-size=64 >'$T/created.json'"
ok "create --json: the record with status" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
(st,) = r["status"].values()
assert r["userName"] == sys.argv[2] and st["diskSize"] == 256 << 20, r
' "$T/created.json" "$W"
ok "update --json prints the new record" sh -c "'$CTL' update '$W' --json=short --real-name=Dub | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r[\"userName\"] == \"$W\" and r[\"realName\"] == \"Dub\", r
'"
ok "the cipher fields are stored" test "$(field "$W" luksCipher) $(field "$W" luksCipherMode) $(field "$W" luksVolumeKeySize)" = '"aes" "xts-plain64" 64'
ok "passwd refuses a weak new password" sh -c "! printf '%s\npassword\npassword\n' '$PW' | '$CTL' passwd '$V' 2>&1 | tee /dev/stderr | grep -q Changed"
ok "passwd --enforce-password-policy=no lets it through" sh -c "printf '%s\npassword\npassword\n' '$PW' | '$CTL' passwd --enforce-password-policy=no '$V'"
ok "... and it is the password now" sh -c "printf 'password\n' | '$CTL' authenticate '$V'"
ok "--enforce-password-policy=maybe refused" refused "expected yes or no" passwd "$V" --enforce-password-policy=maybe

# --- remove several at once ---------------------------------------------------
"$CTL" remove "$NONE" "$W" >&2; rc=$?
ok "remove NONE W: exit 4, W removed all the same" sh -c "[ $rc -eq 4 ] && [ ! -e '$T/$W.home' ]"
ok "remove NONE W: W is gone from the list" test "$(home_state "$W")" = none

# --- remove-credential by type ------------------------------------------------
# (back to cheap PBKDF: argon2id with the forced 1000 iterations is minutes)
ok "cheap PBKDF again" "$CTL" update "$U" --luks-pbkdf-type=pbkdf2
ok "enroll a recovery key" sh -c "printf '%s\n' '$PW' | '$CTL' update '$U' --recovery-key=yes >/dev/null"
types() { home_status "$U" credentials | python3 -c 'import json,sys; print(" ".join(c["type"] for c in json.load(sys.stdin)))'; }
ok "a password and a recovery keyslot" test "$(types)" = "password systemd-recovery"
ok "--type=bogus refused" refused "expected password, recovery" remove-credential "$U" --type=bogus
ok "--type=fido2 with none enrolled fails" refused "no fido2 credential" remove-credential "$U" --type=fido2
ok "remove-credential --type=recovery" "$CTL" remove-credential "$U" --type=recovery
ok "the recovery keyslot is gone" test "$(types)" = password
ok "--type=password: the last keyslot stays" refused "last" remove-credential "$U" --type=password
ok "--type with a keyslot number is a usage error" refused "user name only" remove-credential "$U" 0 --type=password

# --- --no-ask-password, update --identity -------------------------------------
out=$(script -qec "'$CTL' --no-ask-password authenticate '$U'" /dev/null </dev/null 2>&1); rc=$?
ok "--no-ask-password: no prompt on a terminal, a clear error" sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'no-ask-password forbids'"
ok "--no-ask-password still reads --password-file" "$CTL" --no-ask-password authenticate "$U" --password-file=<(printf '%s\n' "$PW")
"$CTL" inspect --json=short "$U" | python3 -c 'import json,sys; r=json.load(sys.stdin); r["realName"]="From Identity"; r["rateLimitBurst"]=7; print(json.dumps(r))' >"$T/ident.json"
ok "update --identity=FILE (an edited inspect --json)" "$CTL" update "$U" --identity="$T/ident.json"
ok "update --identity: realName changed" test "$(field "$U" realName)" = '"From Identity"'
ok "update --identity: rateLimitBurst changed" test "$(field "$U" rateLimitBurst)" = 7
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["uid"]=61234; print(json.dumps(r))' "$T/ident.json" >"$T/ident-uid.json"
ok "update --identity: a read-only change is refused" refused "'uid' is read-only" update "$U" --identity="$T/ident-uid.json"
ok "update --identity: another user's record is refused" refused "is for $U, not $V" update "$V" --identity="$T/ident.json"

finish
