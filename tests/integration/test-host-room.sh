#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Sparse images on a small host filesystem made here: create and resize
# refuse sizes the host's room not promised to other homes cannot hold
# (--allow-overcommit accepts them with a warning); inspect and list show the
# room; when the host fills up under a writer, the home is deactivated cleanly:
# what was fsynced before is intact at the next unlock, and the filesystem
# inside is consistent.
. "$(dirname "$0")/lib.sh"
need_privileges

HOST=$T/host
mkdir -p "$HOST"
truncate -s 200M "$T/host.img"
mkfs.ext4 -q -F -m 0 "$T/host.img" || fail_now "mkfs of the host filesystem"
mount -o loop "$T/host.img" "$HOST" || fail_now "cannot loop-mount the host filesystem"
chmod 755 "$HOST"

start_agent
new_user_name A a
new_user_name B b
PW=room-pw
mk() { # mk USER SIZE [ARGS...]: a home with its image on the small host
        local u=$1 size=$2; shift 2
        create_home "$u" "$PW" --image-path="$HOST/$u.home" --disk-size="$size" "$@"
}

ok "a 128 MiB home fits the ~190 MiB host" mk "$A" 128M
mk "$B" 128M 2>"$T/err"; rc=$?
ok "a second 128 MiB home (the promises would exceed the host) is refused" test "$rc" -ne 0
ok "... saying why and what to do" grep -q "promised to other homes.*--allow-overcommit" "$T/err"
ok "... and leaves no image behind" test ! -e "$HOST/$B.home"
ok "with --allow-overcommit it is created" mk "$B" 128M --allow-overcommit 2>"$T/warn"
ok "... with a warning" grep -q "warning: the homes on this host's filesystem are promised more" "$T/warn"
ok "inspect shows the host's free space" test "$(home_status "$A" hostFree)" -gt 0
ok "... and that nothing is left unpromised" test "$(home_status "$A" hostUnpromised)" -eq 0
ok "list shows the host room" sh -c "'$CTL' list | head -1 | grep -q 'HOST ROOM'"
"$CTL" resize "$A" 180M 2>"$T/err"; rc=$?
ok "growing past the room is refused" test "$rc" -ne 0 -a "$(stat -c %s "$HOST/$A.home")" -eq $((128 * 1024 * 1024))
ok "... saying so" grep -q -- "--allow-overcommit" "$T/err"

# Fill the host under a writer: the home is deactivated, fsynced data survives.
ok "unlock A" unlock_home "$A" "$PW"
HA=$T/home/$A
head -c 4M /dev/urandom >"$T/kept"; chmod 644 "$T/kept"
ok "A writes and fsyncs a file" run_as "$A" dd if="$T/kept" of="$HA/kept" bs=1M conv=fsync status=none
avail=$(df -B1 --output=avail "$HOST" | tail -1 | tr -d ' ')
ok "fill the host to 2 MiB of free space" fallocate -l $((avail - 2 * 1024 * 1024)) "$HOST/filler"
run_as "$A" dd if=/dev/urandom of="$HA/big" bs=1M count=64 conv=fsync status=none 2>/dev/null
state_is() { test "$(home_state "$1")" = "$2"; }
ok "a write beyond the host's room deactivates the home" wait_until 30 state_is "$A" inactive
ok "... and the agent says why" grep -q "holding the image of $A is full; deactivating the home" "$T/agent.log"
ok "the engine is gone with the deactivation" sh -c "! pgrep -f '^$CRYPTDEV .*$HOST/$A.home'"
rm -f "$HOST/filler"
ok "with room again, A unlocks" unlock_home "$A" "$PW"
ok "the file fsynced before is intact" cmp -s "$T/kept" "$HA/kept"
ok "deactivate A" "$CTL" deactivate "$A"
ok "the filesystem in the image is consistent" image_fsck "$HOST/$A.home" "$PW"
ok "remove A" "$CTL" remove "$A"
ok "remove B" "$CTL" remove "$B"
finish
