#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# homefs-cryptdev against cryptsetup, in both directions, without device-mapper:
#  (a) a LUKS2 image made by cryptsetup, filled with ext4 through cryptdev + loop;
#  (b) cryptsetup's offline reencrypt --decrypt of that image shows the same files;
#  (c) an image encrypted by cryptsetup (reencrypt --encrypt) reads back through
#      cryptdev as the original plaintext.
# Plus the daemon's own edges: key length, unaligned I/O, SIGTERM.
# Needs root, /dev/fuse, loop devices, cryptsetup, e2fsprogs. Speaks TAP.
set -u

BUILD=${HOMEFS_BUILD_ROOT:-}
CRYPTDEV=${BUILD}/cryptdev/homefs-cryptdev

skip() {
        echo "1..0 # SKIP $*"
        exit 0
}

[ "$(id -u)" = 0 ] || skip "needs root"
[ -n "$BUILD" ] || skip "HOMEFS_BUILD_ROOT is not set"
[ -x "$CRYPTDEV" ] || skip "$CRYPTDEV not built"
[ -c /dev/fuse ] || skip "no /dev/fuse"
[ -c /dev/loop-control ] || skip "no /dev/loop-control"
for tool in cryptsetup losetup mkfs.ext4 debugfs e2fsck; do
        command -v "$tool" >/dev/null || skip "$tool is missing"
done

WORK=$(mktemp -d /tmp/homefs-cryptdev-compat.XXXXXX)
LOOPS=()
PIDS=()
MOUNTS=()

cleanup() {
        local m p l
        for m in "${MOUNTS[@]}"; do
                mountpoint -q "$m" && umount -l "$m"
        done
        for l in "${LOOPS[@]}"; do
                losetup -d "$l" 2>/dev/null
        done
        for p in "${PIDS[@]}"; do
                kill -KILL "$p" 2>/dev/null
        done
        # cryptdev mounts last: the loop devices above held them.
        for m in "$WORK"/cd*; do
                mountpoint -q "$m" 2>/dev/null && umount -l "$m"
        done
        wait 2>/dev/null
        rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM PIPE HUP  # else a timeout (SIGTERM) skips the cleanup

T=0
FAILED=0
ok() {
        T=$((T + 1))
        echo "ok $T - $*"
}
not_ok() {
        T=$((T + 1))
        FAILED=$((FAILED + 1))
        echo "not ok $T - $*"
}
check() { # check "description" command...
        local what=$1
        shift
        if "$@" >"$WORK/check.log" 2>&1; then
                ok "$what"
        else
                not_ok "$what"
                sed 's/^/# /' "$WORK/check.log"
        fi
}
diag() {
        echo "# $*"
}

PASS=$WORK/passphrase
VK=$WORK/volume-key
printf 'correct horse battery staple' >"$PASS"
head -c 64 /dev/urandom >"$VK"
LUKS_OPTS=(--type luks2 --cipher aes-xts-plain64 --key-size 512 --sector-size 4096
           --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$PASS" --batch-mode)

# Data segment offset in bytes, from luksDump's "Data segments:" section.
data_offset() {
        cryptsetup luksDump "$1" | awk '/^Data segments:/ { s = 1 } s && $1 == "offset:" { print $2; exit }'
}

# cryptdev_start DIR IMAGE OFFSET SIZE [KEYFILE]: start the daemon, wait for its
# ready byte (through a FIFO), set CD_PID. Fails if it does not become ready.
cryptdev_start() {
        local dir=$1 image=$2 offset=$3 size=$4 key=${5:-$VK} c=""
        mkdir -p "$dir"
        rm -f "$WORK/ready"
        mkfifo "$WORK/ready"
        "$CRYPTDEV" --image="$image" --offset="$offset" --size="$size" --sector-size=4096 \
                --iv-tweak=0 --key-fd=3 --ready-fd=4 "$dir" 3<"$key" 4>"$WORK/ready" 2>>"$WORK/cryptdev.log" &
        CD_PID=$!
        PIDS+=("$CD_PID")
        read -r -t 10 -n 1 c <"$WORK/ready"
        [ "$c" = 1 ]
}

# cryptdev_stop DIR PID: unmount, the daemon must exit 0 by itself.
cryptdev_stop() {
        local dir=$1 pid=$2 i
        # losetup -d on a loop device someone still has open (udev's probe
        # after the change event) only marks it for autoclear: the volume is
        # busy until that opener closes it.
        for i in $(seq 50); do
                umount "$dir" 2>/dev/null && break
                sleep 0.1
        done
        ! mountpoint -q "$dir" || { umount "$dir"; return 1; }
        for i in $(seq 100); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
        done
        wait "$pid"
}

loop_attach() { # loop_attach FILE: sets LOOP
        LOOP=$(losetup --direct-io=on --sector-size 4096 --show -f "$1") || return 1
        LOOPS+=("$LOOP")
}

# ---- (a) cryptsetup formats, cryptdev + loop + ext4 write ----

IMG=$WORK/home.img
truncate -s 64M "$IMG"
check "cryptsetup luksFormat (LUKS2, aes-xts-plain64, 4096-byte sectors)" \
        cryptsetup luksFormat "${LUKS_OPTS[@]}" --volume-key-file "$VK" "$IMG"
OFFSET=$(data_offset "$IMG")
SIZE=$(($(stat -c %s "$IMG") - ${OFFSET:-0}))
diag "data offset $OFFSET, data size $SIZE"
[ -n "$OFFSET" ] && [ "$OFFSET" -gt 0 ] && ok "luksDump shows the data offset" || not_ok "luksDump shows the data offset"

CD=$WORK/cd
if cryptdev_start "$CD" "$IMG" "$OFFSET" "$SIZE"; then
        ok "homefs-cryptdev signals ready"
else
        not_ok "homefs-cryptdev signals ready"
        sed 's/^/# /' "$WORK/cryptdev.log"
        echo "1..$T"
        exit 1
fi
PID_A=$CD_PID
check "volume is a $SIZE-byte regular file, mode 0600" \
        test "$(stat -c '%s %a %F' "$CD/volume")" = "$SIZE 600 regular file"
check "unaligned read is refused" \
        bash -c "! dd if='$CD/volume' of=/dev/null bs=512 count=1 iflag=direct 2>/dev/null"
check "write past the end is refused" \
        bash -c "! dd if=/dev/zero of='$CD/volume' bs=4096 count=1 seek=$((SIZE / 4096)) oflag=direct conv=notrunc 2>/dev/null"

loop_attach "$CD/volume" && ok "loop device $LOOP attached (direct I/O, 4096-byte sectors)" || not_ok "loop attach"
check "mkfs.ext4 through cryptdev" mkfs.ext4 -q -F -b 4096 "$LOOP"
MNT=$WORK/mnt
mkdir -p "$MNT"
MOUNTS+=("$MNT")
check "mount the ext4" mount "$LOOP" "$MNT"

head -c 3M /dev/urandom >"$WORK/random.ref"
seq 1 20000 >"$WORK/text.ref"
cp "$WORK/random.ref" "$MNT/random"
mkdir "$MNT/dir"
cp "$WORK/text.ref" "$MNT/dir/text"
sync
check "files read back through the mount" cmp "$WORK/random.ref" "$MNT/random"
check "unmount the ext4" umount "$MNT"
check "detach the loop device" losetup -d "$LOOP"
check "cryptdev exits 0 once unmounted" cryptdev_stop "$CD" "$PID_A"
check "mount point is gone" bash -c "! mountpoint -q '$CD'"

# ---- (b) cryptsetup decrypts what cryptdev wrote ----
# cryptsetup 2.6 decrypts LUKS2 offline only with a detached header whose data
# offset is 0. Copy the data segment out, give it such a header with the same
# volume key (luksFormat --header leaves the data device alone), decrypt.

DATA=$WORK/data-b
HDR=$WORK/header-b
dd if="$IMG" of="$DATA" bs=1M skip=$((OFFSET / 1048576)) conv=sparse status=none
truncate -s 16M "$HDR"
check "detached header with data offset 0 and the same volume key" \
        cryptsetup luksFormat "${LUKS_OPTS[@]}" --volume-key-file "$VK" --header "$HDR" --offset 0 "$DATA"
check "cryptsetup reencrypt --decrypt (offline, userspace)" \
        cryptsetup reencrypt --decrypt --force-offline-reencrypt --header "$HDR" --key-file "$PASS" --batch-mode "$DATA"
check "decrypted data is a clean ext4" e2fsck -fn "$DATA"
debugfs -R "cat /random" "$DATA" >"$WORK/random.b" 2>/dev/null
check "random file identical after cryptsetup's decryption" cmp "$WORK/random.ref" "$WORK/random.b"
debugfs -R "cat /dir/text" "$DATA" >"$WORK/text.b" 2>/dev/null
check "text file identical after cryptsetup's decryption" cmp "$WORK/text.ref" "$WORK/text.b"

# ---- (c) cryptdev decrypts what cryptsetup encrypted ----
# A plaintext ext4 in the first 32 MiB of a 64 MiB file; reencrypt --encrypt
# with --reduce-device-size moves it behind a new LUKS2 header.

PLAIN=$WORK/plain.img
truncate -s 64M "$PLAIN"
mkfs.ext4 -q -F -b 4096 "$PLAIN" 32M
debugfs -w -R "write $WORK/random.ref random" "$PLAIN" >/dev/null 2>&1
dd if="$PLAIN" of="$WORK/plain.ref" bs=1M count=32 status=none
check "cryptsetup reencrypt --encrypt --reduce-device-size 32M" \
        cryptsetup reencrypt --encrypt "${LUKS_OPTS[@]}" --volume-key-file "$VK" --reduce-device-size 32M "$PLAIN"
OFFSET_C=$(data_offset "$PLAIN")
SIZE_C=$(($(stat -c %s "$PLAIN") - ${OFFSET_C:-0}))
diag "encrypted image: data offset $OFFSET_C, data size $SIZE_C"
check "plaintext is gone from the image" bash -c "! cmp -s <(dd if='$PLAIN' bs=1M skip=$((OFFSET_C / 1048576)) count=1 status=none) <(head -c 1M '$WORK/plain.ref')"

CD_C=$WORK/cd-c
if cryptdev_start "$CD_C" "$PLAIN" "$OFFSET_C" "$SIZE_C"; then
        ok "homefs-cryptdev serves the cryptsetup-encrypted image"
        PID_C=$CD_PID
        check "volume decrypts to the original plaintext" \
                cmp "$WORK/plain.ref" <(dd if="$CD_C/volume" bs=1M count=32 iflag=direct status=none)
        loop_attach "$CD_C/volume" || not_ok "loop attach (c)"
        check "mount it read-only" mount -o ro "$LOOP" "$MNT"
        check "file written before encryption reads back" cmp "$WORK/random.ref" "$MNT/random"
        umount "$MNT"
        losetup -d "$LOOP"
        check "cryptdev (c) exits 0" cryptdev_stop "$CD_C" "$PID_C"
else
        not_ok "homefs-cryptdev serves the cryptsetup-encrypted image"
fi

# ---- the daemon's own edges ----

head -c 63 "$VK" >"$WORK/short-key"
if cryptdev_start "$WORK/cd-short" "$IMG" "$OFFSET" "$SIZE" "$WORK/short-key"; then
        not_ok "a 63-byte key is refused"
else
        wait "$CD_PID"
        rc=$?
        [ "$rc" != 0 ] && ok "a 63-byte key is refused (exit $rc)" || not_ok "a 63-byte key is refused"
fi
check "nothing mounted after a refused key" bash -c "! mountpoint -q '$WORK/cd-short'"

if cryptdev_start "$WORK/cd-term" "$IMG" "$OFFSET" "$SIZE"; then
        kill -TERM "$CD_PID"
        wait "$CD_PID"
        rc=$?
        [ "$rc" = 0 ] && ok "SIGTERM: clean exit" || not_ok "SIGTERM: clean exit (got $rc)"
        check "SIGTERM: unmounted itself" bash -c "! mountpoint -q '$WORK/cd-term'"
else
        not_ok "start for the SIGTERM test"
fi

if [ "$FAILED" -gt 0 ] && [ -s "$WORK/cryptdev.log" ]; then
        diag "cryptdev log:"
        sed 's/^/# /' "$WORK/cryptdev.log"
fi
echo "1..$T"
[ "$FAILED" = 0 ]
