#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# mount.homefs through mount(8): an fstab line (in a test fstab, mount -T)
# mounts a home locked; umount locks it and stops homefsd; options reach
# homefsd; clear errors for bad lines and a missing agent.
. "$(dirname "$0")/lib.sh"
need_privileges
command -v mount >/dev/null && mount --help 2>&1 | grep -q -- '--fstab' || skip_all "mount(8) without -T/--fstab"
HELPER=$B/fs/mount.homefs
[ -x "$HELPER" ] || { echo "Bail out! $HELPER is not built"; exit 1; }

# mount(8) runs /sbin/mount.TYPE, and umount(8) /sbin/umount.HELPER for a
# mount made with helper=HELPER (kept in /run/mount/utab): put links there
# for the test, one test run at a time (a lock), never over installed ones.
exec 9>/run/lock/homefs-test-mount-helper.lock
flock -w 120 9 || skip_all "another test run holds the mount helper lock"
for f in /sbin/mount.homefs /sbin/umount.homefs; do
        if [ -e "$f" ] && ! [ -L "$f" ]; then
                skip_all "$f is installed; not replacing it for a test"
        fi
done
ln -sfn "$HELPER" /sbin/mount.homefs; cleanup_path /sbin/mount.homefs
ln -sfn "$HELPER" /sbin/umount.homefs; cleanup_path /sbin/umount.homefs

start_agent
new_user_name U m
PW=mount-pw
H=$T/home/$U
ok "create a home" create_home "$U" "$PW"
[ "$tap_failed" -eq 0 ] || fail_now "cannot go on without a home"

homefsd_pids() { # homefsd processes serving $U
        local p
        for p in $(our_pids); do
                tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "homefsd .*$U" && echo "$p"
        done
}
# After a plain umount, homefsd notices and exits a moment later.
wait_inactive() { for _ in $(seq 50); do [ "$(home_state "$U")" = unmounted ] && return; sleep 0.1; done; }
is_homefs_mount() { awk -v d="$1" '$5 == d && / - fuse.homefs / { f = 1 } END { exit !f }' /proc/self/mountinfo; }

ok "the agent started homefsd: inactive" test "$(home_state "$U")" = inactive
ok "umount the agent's front (no helper: plain umount)" umount "$H"
wait_inactive
ok "umount: the home is inactive" test "$(home_state "$U")" = unmounted
ok "umount: no homefsd is left" test -z "$(homefsd_pids)"
ok "umount: nothing mounted" sh -c "! awk -v d='$H' '\$5 == d' /proc/self/mountinfo | grep -q ."

printf '# a test fstab\n%s  %s  homefs  defaults,nofail,helper=homefs  0 0\n' "homefs:$U" "$H" >"$T/fstab"
ok "mount -T FSTAB HOMEDIR" mount -T "$T/fstab" "$H"
ok "mounted as fuse.homefs" is_homefs_mount "$H"
ok "registered with the agent: inactive" test "$(home_state "$U")" = inactive
ok "locked: access says Required key not available" says_enokey ls "$H"
ok "one homefsd" test "$(homefsd_pids | wc -l)" -eq 1
ok "unlock it" unlock_home "$U" "$PW"
ok "use it" setpriv --reuid="$U" --regid="$U" --clear-groups sh -c "echo kept > '$H/file'"
ok "umount an active home" umount "$H"
ok "umount.homefs deactivated it first" grep -q "deactivated $U" "$T/agent.log"
ok "before homefsd went away" sh -c "! grep -q 'homefsd for $U is gone while active' '$T/agent.log'"
ok "inactive after umount" test "$(home_state "$U")" = unmounted
ok "no homefsd after umount" test -z "$(homefsd_pids)"

ok "mount -a -T FSTAB" mount -a -T "$T/fstab"
ok "mounted again, inactive" test "$(home_state "$U")" = inactive
ok "mount -a again is harmless" mount -a -T "$T/fstab"
ok "still one homefsd" test "$(homefsd_pids | wc -l)" -eq 1
ok "the data survived" sh -c "printf '%s\n' '$PW' | '$CTL' with '$U' -- cat '$H/file' | grep -qx kept"

setpriv --reuid="$U" --regid="$U" --clear-groups sh -c "printf '%s\n' '$PW' | '$CTL' unlock '$U' >&2 && cd '$H' && exec sleep 30" &
holder=$!
for _ in $(seq 50); do [ "$(home_state "$U")" = active ] && break; sleep 0.1; done
out=$(umount "$H" 2>&1); rc=$?
ok "umount of a busy home fails" test "$rc" -ne 0
ok "and says why" sh -c "echo '$out' | grep -q 'busy'"
ok "the busy home is inactive nonetheless" test "$(home_state "$U")" = inactive
kill "$holder"; wait "$holder" 2>/dev/null
ok "umount once nothing holds it" umount "$H"

printf 'homefs:%s  %s  homefs  debug,threads=3,x-systemd.requires=homefs-agent.service  0 0\n' "$U" "$H" >"$T/fstab-debug"
ok "options reach homefsd" mount -T "$T/fstab-debug" "$H"
ok "homefsd runs with --debug --threads=3" sh -c "tr '\\0' ' ' < /proc/$(homefsd_pids | head -1)/cmdline | grep -q -- '--debug --threads=3'"
ok "unlock it" unlock_home "$U" "$PW"
ok "a plain umount (no helper) of an unlocked home" umount "$H"
wait_inactive
ok "the agent deactivates it when homefsd goes" test "$(home_state "$U")" = unmounted
ok "and says so" grep -q "homefsd for $U is gone while active; deactivating" "$T/agent.log"
ok "no homefsd after the plain umount" test -z "$(homefsd_pids)"

printf '%s  %s  homefs  bogus  0 0\n' "$U" "$H" >"$T/fstab-bad"
mount -T "$T/fstab-bad" "$H" 2>"$T/err"; rc=$?
ok "an unknown option fails" test "$rc" -ne 0
ok "and names it" grep -q "unknown mount option 'bogus'" "$T/err"
printf '%s  %s  homefs  defaults  0 0\n' "$U" "$T/elsewhere" >"$T/fstab-dir"; mkdir -p "$T/elsewhere"
out=$(mount -T "$T/fstab-dir" "$T/elsewhere" 2>&1); rc=$?
ok "a directory that is not the home fails" sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'fix the fstab line'"
ok "nothing was mounted" test -z "$(homefsd_pids)"

setpriv --reuid=nobody --regid=nogroup --clear-groups "$HELPER" "homefs:$U" "$H" 2>"$T/err"; rc=$?
ok "not as another user" sh -c "[ $rc -eq 32 ] && grep -q 'only root' '$T/err'"

stop_agent
out=$("$HELPER" "$U" "$H" -o defaults 2>&1); rc=$?
ok "no agent: exit 32" test "$rc" -eq 32
ok "no agent: says it is not running" sh -c "echo '$out' | grep -q 'not running'"
start_agent

finish
