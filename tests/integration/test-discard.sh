#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# --luks-discard: deleting files inside a home gives the space back to the
# host (ext4 online discard -> loop -> fallocate(PUNCH_HOLE) in cryptdev ->
# a hole in the image), and the data around the holes stays intact.
. "$(dirname "$0")/lib.sh"
need_privileges

start_agent
new_user_name U d
new_user_name W n
PW=discard-pw
H=$T/home/$U
ok "create a home with --luks-discard=yes" create_home "$U" "$PW" --luks-discard=yes
ok "create a home without discard" create_home "$W" "$PW"
ok "unlock it" unlock_home "$U" "$PW"
[ "$tap_failed" -eq 0 ] || fail_now "cannot go on without an unlocked home"

allocated() { # bytes of the image allocated on the host, as inspect reports them
        home_status "$1" imageAllocated
}
as_user() { setpriv --reuid="$U" --regid="$U" --clear-groups "$@"; }

head -c 3M /dev/urandom >"$T/keep"; head -c 8M /dev/urandom >"$T/new"; chmod 644 "$T/keep" "$T/new"
ok "write a file to keep" as_user cp "$T/keep" "$H/keep"
sync
a0=$(allocated "$U")
ok "write a 64 MiB file" as_user dd if=/dev/urandom of="$H/big" bs=1M count=64 conv=fsync status=none
a1=$(allocated "$U")
diag "allocated: before $((a0 >> 20)) MiB, with the file $((a1 >> 20)) MiB"
ok "the image grew by about 64 MiB" test $((a1 - a0)) -ge $((60 << 20))
ok "delete it" as_user rm "$H/big"
sync
shrunk() { sync; [ "$(allocated "$U")" -le $((a1 - (56 << 20))) ]; }
for _ in $(seq 50); do shrunk && break; sleep 0.2; done
a2=$(allocated "$U")
diag "allocated after rm: $((a2 >> 20)) MiB"
ok "allocated blocks on the host dropped by at least 56 MiB" shrunk
ok "the kept file is intact" cmp "$T/keep" "$H/keep"
ok "lock" "$CTL" lock "$U"
ok "unlock again (fsck over the punched image passes)" unlock_home "$U" "$PW"
ok "the kept file is intact after relock" cmp "$T/keep" "$H/keep"
ok "a new file over discarded space" as_user cp "$T/new" "$H/new"
ok "reads back after a lock and unlock" sh -c "'$CTL' lock '$U' && printf '%s\n' '$PW' | '$CTL' unlock '$U' && cmp '$T/new' '$H/new'"
ok "lock" "$CTL" lock "$U"

# Without discard the image keeps its blocks (nothing is punched).
ok "unlock the home without discard" unlock_home "$W" "$PW"
HW=$T/home/$W
ok "write and delete 32 MiB there" setpriv --reuid="$W" --regid="$W" --clear-groups sh -c \
        "dd if=/dev/urandom of='$HW/big' bs=1M count=32 conv=fsync status=none && rm '$HW/big'"
b1=$(allocated "$W"); sync; sleep 1
ok "without discard, nothing is given back" test "$(allocated "$W")" -ge "$b1"
ok "lock it" "$CTL" lock "$W"

finish
