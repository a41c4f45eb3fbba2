#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The core flow end to end, through the real agent, cryptdev, loop device,
# ext4 and homefsd: create, locked access, unlock, use, lock (revocation),
# password change, wrong credentials, and a remove that leaves nothing behind.
. "$(dirname "$0")/lib.sh"
need_privileges
command -v cryptsetup >/dev/null || skip_all "cryptsetup (cryptsetup-bin) is not installed"

start_agent
new_user_name U a
H=$T/home/$U
IMG=$T/$U.home

# --- create ---------------------------------------------------------------
ok "create a home" create_home "$U" "correct horse" --real-name="Test User"
[ "$tap_failed" -eq 0 ] || fail_now "cannot go on without a home"
ok "the image exists and is sparse" test "$(stat -c %b "$IMG")" -lt $((256 * 1024 * 2))
ok "the record exists, root-only" test "$(stat -c %a "$HOMEFS_STATE_DIR/records/$U.yaml")" = 600
ok "the passwd entry exists" getent passwd "$U"
ok "the shadow password is locked" sh -c "getent shadow '$U' | cut -d: -f2 | grep -q '^!'"
ok "list shows it inactive" test "$(home_state "$U")" = inactive
UID_U=$(id -u "$U")
ok "uid from the homefs range" test "$UID_U" -ge 60001 -a "$UID_U" -le 60513

# --- the image is standard LUKS2 -------------------------------------------
ok "cryptsetup luksDump reads it" sh -c "cryptsetup luksDump '$IMG' | grep -q 'Version:.*2'"
ok "the LUKS label is the user name" sh -c "cryptsetup luksDump '$IMG' | grep -q 'Label:.*$U'"
ok "4096-byte sectors, aes-xts-plain64" sh -c "cryptsetup luksDump '$IMG' | grep -q 'sector: 4096' && cryptsetup luksDump '$IMG' | grep -q 'aes-xts-plain64'"
ok "cryptsetup accepts the password" sh -c "printf 'correct horse' | cryptsetup open --test-passphrase --key-file=- '$IMG'"
ok "cryptsetup rejects another" sh -c "! printf 'wrong' | cryptsetup open --test-passphrase --key-file=- '$IMG' 2>/dev/null"

# --- locked -----------------------------------------------------------------
ok "locked: stat of the home path works" stat "$H"
ok "locked: the root is the user's, mode 0700" test "$(stat -c '%u %a' "$H")" = "$UID_U 700"
ok "locked: listing says Required key not available" says_enokey ls "$H"
ok "locked: creating a file says Required key not available" says_enokey touch "$H/x"

# --- wrong password ---------------------------------------------------------
out=$(printf 'nope\n' | "$CTL" unlock "$U" 2>&1); rc=$?
ok "wrong password: exit status 3" test "$rc" -eq 3
ok "wrong password: a clear message" sh -c "echo '$out' | grep -qi 'wrong password'"
ok "wrong password: still inactive" test "$(home_state "$U")" = inactive

# --- unlock and use -------------------------------------------------------
t0=$(date +%s%N)
ok "unlock with the password" unlock_home "$U" 'correct horse'
t1=$(date +%s%N)
diag "unlock took $(( (t1 - t0) / 1000000 )) ms"
ok "list shows it active" test "$(home_state "$U")" = active
skel_same() { # every file of /etc/skel is in the home, same content and mode
        local f
        for f in $(cd /etc/skel && find . -type f); do
                cmp -s "/etc/skel/$f" "$H/$f" || return 1
                [ "$(stat -c %a "/etc/skel/$f")" = "$(stat -c %a "$H/$f")" ] || return 1
        done
}
ok "the skeleton was copied with its modes" skel_same
ok "the user writes a file" setpriv --reuid="$U" --regid="$U" --clear-groups sh -c "echo hello > '$H/file'"
ok "and reads it back" test "$(setpriv --reuid="$U" --regid="$U" --clear-groups cat "$H/file")" = hello
ok "the file is the user's" test "$(stat -c %U "$H/file")" = "$U"
ok "another user cannot read the home" sh -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups ls '$H' 2>/dev/null"
ok "unlock again verifies and succeeds" unlock_home "$U" 'correct horse'

# Written, not synced: must survive the lock.
printf 'unsynced data\n' >"$H/unsynced"
exec 3<"$H/file"

# --- lock -------------------------------------------------------------------
t0=$(date +%s%N)
ok "deactivate" "$CTL" deactivate "$U"
t1=$(date +%s%N)
diag "lock took $(( (t1 - t0) / 1000000 )) ms"
ok "list shows it inactive" test "$(home_state "$U")" = inactive
# dd reads without an fstat first (fstat of a locked inode answers ENOKEY).
ok "an fd opened before lock fails with EIO" sh -c "! dd bs=4096 count=1 <&3 2>$T/eio.err && grep -q 'Input/output error' $T/eio.err"
exec 3<&-
ok "a new open fails with ENOKEY" says_enokey cat "$H/file"
ok "no loop device is left" sh -c "! losetup -a | grep -qF '$T'"
ok "no cryptdev is left" test -z "$(pgrep -f "^$CRYPTDEV .*$HOMEFS_RUNTIME_DIR/")"

# --- unlock again ---------------------------------------------------------
ok "unlock again" unlock_home "$U" 'correct horse'
ok "the file is intact" test "$(cat "$H/file")" = hello
ok "the unsynced write survived" test "$(cat "$H/unsynced")" = "unsynced data"

# --- passwd -----------------------------------------------------------------
ok "passwd changes the password" sh -c "printf 'correct horse\nbattery staple\n' | '$CTL' passwd '$U'"
ok "passwd with a wrong current password fails" sh -c "! printf 'bad\nx\n' | '$CTL' passwd --enforce-password-policy=no '$U' 2>/dev/null"
ok "deactivate" "$CTL" deactivate "$U"
ok "the old password no longer works" sh -c "! printf 'correct horse\n' | '$CTL' unlock '$U' 2>/dev/null"
ok "the new one does" unlock_home "$U" 'battery staple'
ok "cryptsetup agrees" sh -c "printf 'battery staple' | cryptsetup open --test-passphrase --key-file=- '$IMG'"

# --- the agent restarts: homes come back locked, with a front -----------------
ok "deactivate before restarting the agent" "$CTL" deactivate "$U"
stop_agent
ok "with the agent stopped, the home path is not served" sh -c "! grep -qF ' $H ' /proc/self/mounts"
ok "and the bare mountpoint is root's, mode 0000" test "$(stat -c '%U %a' "$H")" = "root 0"
start_agent
ok "after restart the agent starts the front: inactive" wait_state "$U" inactive
ok "locked access still says Required key not available" says_enokey ls "$H"
ok "unlock after the restart" unlock_home "$U" 'battery staple'
ok "the data is there" test "$(cat "$H/file")" = hello

# --- a size given as a share of the free space -------------------------------
# The share is of the host's room not promised to other homes (U's image
# may still claim its unallocated part): hostUnpromised, as inspect shows it.
new_user_name P p
room_bytes=$(home_status "$U" hostUnpromised)
ok "create with --disk-size=1%" create_home "$P" pw-p --disk-size=1%
size=$(stat -c %s "$T/$P.home")
diff_mib=$(( room_bytes / 100 / 1048576 - size / 1048576 ))
ok "the image is 1% of the host's unpromised room (within a MiB)" test "${diff_mib#-}" -le 1
ok "remove it" "$CTL" remove "$P"

# --- remove -----------------------------------------------------------------
ok "remove refuses an unlocked home without --force" sh -c "! '$CTL' remove '$U' 2>/dev/null"
ok "remove --force" "$CTL" remove --force "$U"
ok "no image" test ! -e "$IMG"
ok "no record" test ! -e "$HOMEFS_STATE_DIR/records/$U.yaml"
ok "no passwd entry" sh -c "! getent passwd '$U'"
ok "no group entry" sh -c "! getent group '$U'"
ok "no mount" sh -c "! grep -qF '$T' /proc/self/mounts"
ok "no mountpoint" test ! -e "$H"
ok "no loop device" sh -c "! losetup -a | grep -qF '$T'"
ok "no homefsd process" sh -c "! pgrep -f '^$HOMEFSD $U' >/dev/null"
ok "no cryptdev process" test -z "$(pgrep -f "^$CRYPTDEV .*$HOMEFS_RUNTIME_DIR/")"
ok "list no longer shows it" test "$(home_state "$U")" = none
finish
