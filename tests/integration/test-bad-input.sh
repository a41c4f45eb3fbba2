#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Bad input (issue 10, point 6): invalid user names, huge and deeply nested
# YAML, records that put the image or the home in forbidden places or on a
# symlink, and a corrupted LUKS2 header. Each is refused with a clear
# message, touches nothing, and the agent keeps serving.
. "$(dirname "$0")/lib.sh"
need_privileges
command -v cryptsetup >/dev/null || skip_all "cryptsetup (cryptsetup-bin) is not installed"

CALL=$(dirname "$0")/helpers/agent-call.py
SOCK=$HOMEFS_RUNTIME_DIR/agent.sock
start_agent
mkdir -p "$T/img"

# refused_create NAME JSON-RECORD PATTERN: the agent itself refuses.
refused_create() {
        local out rc
        out=$(/usr/bin/python3 "$CALL" "$SOCK" io.homefs.Agent.Create "{\"record\":$1,\"password\":\"pw\"}" 2>&1)
        rc=$?
        echo "${out:0:300}"
        [ "$rc" -eq 1 ] && echo "$out" | grep -Eqi "$2"
}

# --- user names ----------------------------------------------------------------
long=$(printf 'a%.0s' $(seq 40))
for name in '..' '/' 'a/b' '../etc' '-rf' 'Alice' 'ROOT' "$long" '' ' x' 'x y' 'a:b' 'é' 'a\u0000b'; do
        ok "user name '$name' is refused by the agent" \
                refused_create "{\"userName\":\"$name\",\"imagePath\":\"$T/img/x.home\",\"homeDirectory\":\"$T/home/x\"}" "InvalidRecord|InvalidParameter"
done
for name in root daemon bin nobody; do
        ok "the system user name '$name' is refused" \
                refused_create "{\"userName\":\"$name\",\"imagePath\":\"$T/img/$name.home\",\"homeDirectory\":\"$T/home/$name\"}" "UserExists|exists already"
done
ok "homefsctl refuses '../x' before asking" sh -c "! printf 'pw\n' | '$CTL' create ../x 2>&1 | tee /dev/stderr | grep -q Created"
ok "nothing was created for them" test -z "$(ls "$T/img")"
ok "no such users in passwd" sh -c "! getent passwd Alice ROOT '-rf' >/dev/null"

# --- forbidden places and symlinks -------------------------------------------------
new_user_name P pl
for img in /proc/homefs-$P.home /sys/$P.home /dev/shm/$P.home /run/$P.home /etc/$P.home "$HOMEFS_STATE_DIR/$P.home" "$HOMEFS_RUNTIME_DIR/$P.home"; do
        ok "an image at $img is refused" refused_create \
                "{\"userName\":\"$P\",\"imagePath\":\"$img\",\"homeDirectory\":\"$T/home/$P\"}" "no home may be|lies below"
        ok "and nothing appears there" test ! -e "$img"
done
ok "a home directory below /proc is refused" refused_create \
        "{\"userName\":\"$P\",\"imagePath\":\"$T/img/$P.home\",\"homeDirectory\":\"/proc/$P\"}" "lies below /proc"
ln -s /dev/shm "$T/shm-link"
ok "an image below a symlink to /dev/shm is refused" refused_create \
        "{\"userName\":\"$P\",\"imagePath\":\"$T/shm-link/$P.home\",\"homeDirectory\":\"$T/home/$P\"}" "symbolic link"
ln -s "$T/elsewhere" "$T/home/$P"
ok "a home directory that is a symlink is refused" refused_create \
        "{\"userName\":\"$P\",\"imagePath\":\"$T/img/$P.home\",\"homeDirectory\":\"$T/home/$P\"}" "symbolic link"
rm "$T/home/$P"
mkdir -m 1777 "$T/open"
ok "an image in a directory others can write is refused" refused_create \
        "{\"userName\":\"$P\",\"imagePath\":\"$T/open/$P.home\",\"homeDirectory\":\"$T/home/$P\"}" "writable by nobody else"
ok "no user was left behind" sh -c "! getent passwd '$P'"

# --- a real home, then its record and image are tampered with --------------------
new_user_name U bi
IMG=$T/$U.home
ok "create a home" create_home "$U" right
[ "$tap_failed" -eq 0 ] || fail_now "cannot go on without a home"
unlock_fails() { # unlock_fails PATTERN: refused, clearly; still locked
        ! printf 'right\n' | "$CTL" unlock "$U" >"$T/out" 2>&1 || return 1
        cat "$T/out"
        grep -Eqi "$1" "$T/out" && [ "$(home_state "$U")" = locked ]
}
mv "$IMG" "$T/img/real.home"
ln -s "$T/img/real.home" "$IMG"
ok "an image that is a symlink is not opened" unlock_fails "symbolic link"
rm "$IMG"; mv "$T/img/real.home" "$IMG"
chmod 0666 "$IMG"
ok "an image others may write is not opened" unlock_fails "writable by nobody else"
chmod 0600 "$IMG"
ok "with the image fixed, unlock works" unlock_home "$U" right
ok "lock" "$CTL" lock "$U"

# The record on disk points the image into /proc: the agent reads records at start.
stop_agent
cp "$HOMEFS_STATE_DIR/records/$U.yaml" "$T/record.bak"
sed -i "s|^imagePath:.*|imagePath: /proc/self/mem|" "$HOMEFS_STATE_DIR/records/$U.yaml"
start_agent
ok "a record pointing the image into /proc: no front at agent start, saying why" \
        wait_until 5 grep -q "not starting the front of $U: The image /proc/self/mem lies below /proc" "$T/agent.log"
out=$(printf 'right\n' | "$CTL" unlock "$U" 2>&1); rc=$?
echo "$out" >&2
ok "and unlock is refused with that reason" eval 'test "$rc" -ne 0 && grep -q "lies below /proc" <<<"$out"'
ok "the home is not unlocked" test "$(home_state "$U")" != unlocked
stop_agent
cp "$T/record.bak" "$HOMEFS_STATE_DIR/records/$U.yaml"

# --- huge and deeply nested YAML records --------------------------------------------
new_user_name Y hy
new_user_name Z dz
python3 -c "print('userName: $Y'); print('realName: ' + 'x' * (8 << 20))" >"$HOMEFS_STATE_DIR/records/$Y.yaml"
python3 -c "print('userName: $Z'); print('realName: ' + '[' * 30000 + ']' * 30000)" >"$HOMEFS_STATE_DIR/records/$Z.yaml"
chmod 600 "$HOMEFS_STATE_DIR/records/"*.yaml
start_agent
ok "the agent starts despite a huge and a deeply nested record" wait_state "$U" locked # the fronts start just after the socket
ok "it skips the huge one" test "$(home_state "$Y")" = none
ok "and the deeply nested one" test "$(home_state "$Z")" = none
ok "and says why" sh -c "grep -E '$Y|$Z' '$T/agent.log' | head -4 >&2; grep -q '$Y' '$T/agent.log' && grep -q '$Z' '$T/agent.log'"
deep='{"userName":"'$Z'","realName":'$(printf '[%.0s' $(seq 5000))$(printf ']%.0s' $(seq 5000))'}'
deep_refused() {
        local rc
        /usr/bin/python3 "$CALL" "$SOCK" io.homefs.Agent.Create "{\"record\":$deep,\"password\":\"pw\"}"
        rc=$?
        [ "$rc" -eq 1 ] || [ "$rc" -eq 3 ]
}
ok "a deeply nested record over the socket is refused" deep_refused
ok "the agent still answers" test "$(home_state "$U")" = locked

# --- a corrupted LUKS2 header -----------------------------------------------------------
cp --sparse=always "$IMG" "$T/img/pristine.home"
# Flip bytes in the JSON areas of both header copies (at 4 KiB and 16 KiB + 4 KiB).
printf 'CORRUPT' | dd of="$IMG" bs=1 seek=$((4096 + 100)) conv=notrunc status=none
printf 'CORRUPT' | dd of="$IMG" bs=1 seek=$((16384 + 4096 + 100)) conv=notrunc status=none
sum_before=$(sha256sum <"$IMG")
ok "a corrupted header: unlock refused, clearly" unlock_fails "LUKS2 header"
ok "the image was not touched" test "$(sha256sum <"$IMG")" = "$sum_before"
ok "no loop device, no cryptdev" sh -c "! losetup -a | grep -qF '$HOMEFS_RUNTIME_DIR/' && ! pgrep -f '^$CRYPTDEV .*$HOMEFS_RUNTIME_DIR/'"
dd if=/dev/zero of="$IMG" bs=4096 count=8 conv=notrunc status=none
sum_before=$(sha256sum <"$IMG")
ok "a wiped header: unlock refused, clearly" unlock_fails "LUKS2 header"
ok "the image was not touched" test "$(sha256sum <"$IMG")" = "$sum_before"
cp --sparse=always "$T/img/pristine.home" "$IMG"
ok "with the header restored, unlock works" unlock_home "$U" right
ok "lock" "$CTL" lock "$U"
ok "remove" "$CTL" remove "$U"
finish
