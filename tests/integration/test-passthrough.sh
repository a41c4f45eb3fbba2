#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Kernel FUSE passthrough in homefsd, and its fallback. homefsd serves a
# directory of an ext4 on a loop device (--attach-dir, no agent); its request
# counters (--stats-file, SIGRTMIN+1) show whether file data went through it:
# with passthrough no READ or WRITE request may reach it, with
# --no-passthrough all data must. Then the agent's way of locking: Detach,
# then shut the backing filesystem down, and an fd opened before fails with
# EIO; no backing file stays pinned. Needs /dev/fuse, loop devices,
# mkfs.ext4, python3, dd. TAP output.

. "$(dirname "$0")/lib.sh"
need_privileges
command -v mkfs.ext4 >/dev/null || skip_all "mkfs.ext4 is missing"

PY=/usr/bin/python3
new_user_name U pt
useradd --system --no-create-home --shell /usr/sbin/nologin "$U" || fail_now "useradd"

truncate -s 256M "$T/back.img"
mkfs.ext4 -q -F "$T/back.img" || fail_now "mkfs.ext4"
LOOP=$(losetup -f --show "$T/back.img") || fail_now "losetup"
mkdir -p "$T/back" "$T/pt" "$T/copy"
mount "$LOOP" "$T/back" || fail_now "mount the backing ext4"
mkdir -m 0777 "$T/back/home"

# start_front MOUNTPOINT STATS [OPTIONS]: sets FRONT_PID.
start_front() {
        local mnt=$1 stats=$2; shift 2
        "$HOMEFSD" --attach-dir="$T/back/home" --mountpoint="$mnt" --stats-file="$stats" "$@" "$U" \
                2>>"$T/homefsd.log" &
        FRONT_PID=$!
        for _ in $(seq 100); do
                [ "$(findmnt -n -o FSTYPE --mountpoint "$mnt" 2>/dev/null)" = fuse.homefs ] && return 0
                sleep 0.05
        done
        fail_now "homefsd did not mount $mnt"
}

# counter PID STATS NAME: the counter's value after asking homefsd to dump.
counter() {
        rm -f "$2"
        kill -RTMIN+1 "$1"
        for _ in $(seq 100); do [ -e "$2" ] && break; sleep 0.02; done
        awk -v n="$3" '$1 == n { print $2 }' "$2"
}

stop_front() {
        kill -TERM "$1"
        for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
        wait "$1" 2>/dev/null
}

# ---- passthrough ----
start_front "$T/pt" "$T/pt.stats"
PT=$FRONT_PID
dd if=/dev/urandom of="$T/data" bs=1M count=32 status=none
ok "write 32 MiB through the mount" dd if="$T/data" of="$T/pt/big" bs=1M conv=fsync status=none
ok "read it back, equal" cmp "$T/data" "$T/pt/big"
ok "the backing file is equal" cmp "$T/data" "$T/back/home/big"
ok "4 KiB random writes land" "$PY" -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
for k in range(0, 256):
    os.pwrite(fd, bytes([k % 256]) * 4096, ((k * 7919) % 8192) * 4096)
os.close(fd)' "$T/pt/big"
ok "mmap: writes through a shared mapping reach the backing file" "$PY" -c '
import mmap, os, sys
with open(sys.argv[1], "r+b") as f:
    m = mmap.mmap(f.fileno(), 1 << 20)
    m[4096:4096 + 5] = b"mmapd"
    m.flush()
    m.close()
with open(sys.argv[2], "rb") as b:
    b.seek(4096)
    sys.exit(b.read(5) != b"mmapd")' "$T/pt/big" "$T/back/home/big"
ok "the file's user sees their data (permissions via the kernel)" sh -c \
        "echo mine >'$T/pt/mine' && chown $U '$T/pt/mine' && chmod 600 '$T/pt/mine' &&
         test \"\$(setpriv --reuid=$U --regid=$U --clear-groups cat '$T/pt/mine')\" = mine &&
         ! setpriv --reuid=65534 --regid=65534 --clear-groups cat '$T/pt/mine' 2>/dev/null"
reads=$(counter "$PT" "$T/pt.stats" read)
writes=$(counter "$PT" "$T/pt.stats" write)
opens=$(counter "$PT" "$T/pt.stats" open_passthrough)
diag "passthrough: read=$reads write=$writes open_passthrough=$opens"
ok "passthrough: homefsd saw no READ request" test "$reads" = 0
ok "passthrough: homefsd saw no WRITE request" test "$writes" = 0
ok "passthrough: opens were passthrough opens" test "${opens:-0}" -ge 5

# ---- fallback (--no-passthrough) on the same backing directory ----
start_front "$T/copy" "$T/copy.stats" --no-passthrough
FB=$FRONT_PID
ok "fallback: read, equal to what passthrough wrote" cmp "$T/pt/big" "$T/copy/big"
ok "fallback: write 8 MiB" dd if="$T/data" of="$T/copy/small" bs=1M count=8 conv=fsync status=none
ok "fallback: the backing file is equal" cmp -n 8388608 "$T/data" "$T/back/home/small"
reads=$(counter "$FB" "$T/copy.stats" read)
writes=$(counter "$FB" "$T/copy.stats" write)
opens=$(counter "$FB" "$T/copy.stats" open_passthrough)
diag "fallback: read=$reads write=$writes open_passthrough=$opens"
ok "fallback: homefsd served READ requests" test "${reads:-0}" -gt 0
ok "fallback: homefsd served WRITE requests" test "${writes:-0}" -gt 0
ok "fallback: no passthrough opens" test "$opens" = 0
stop_front "$FB"

echo keep-me >"$T/pt/keepme"

# ---- lock as the agent does it: Detach, then shut the backing fs down ----
LOCK_OUT=$("$PY" - "$T/pt/big" "$T/back" "$PT" <<'EOF'
import errno, fcntl, mmap, os, signal, struct, sys, time
path, back, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
fd = os.open(path, os.O_RDWR)
os.pread(fd, 4096, 0)
os.kill(pid, signal.SIGUSR1)                    # Detach
for _ in range(100):
    if os.stat(os.path.dirname(path)).st_mode & 0o777 == 0o700:
        break
    time.sleep(0.05)
bfd = os.open(back, os.O_RDONLY | os.O_DIRECTORY)
EXT4_IOC_SHUTDOWN = 0x8004587d                  # _IOR('X', 125, __u32)
fcntl.ioctl(bfd, EXT4_IOC_SHUTDOWN, struct.pack("I", 0))
os.close(bfd)
def code(f):
    try:
        f()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
print("read=" + code(lambda: os.pread(fd, 4096, 8192 * 4096 - 4096)))
print("write=" + code(lambda: os.pwrite(fd, b"x", 0)))
print("fsync=" + code(lambda: os.fsync(fd)))
os.close(fd)
EOF
)
diag "$(echo $LOCK_OUT)"
ok "locked: read on a passthrough fd opened before gives EIO" grep -qx read=EIO <<<"$LOCK_OUT"
ok "locked: write on it gives EIO" grep -qx write=EIO <<<"$LOCK_OUT"
ok "locked: fsync on it gives EIO" grep -qx fsync=EIO <<<"$LOCK_OUT"
ok "locked: data written before (not synced) is intact" sh -c "umount '$T/back' && mount '$LOOP' '$T/back' &&
        test \"\$(cat '$T/back/home/keepme')\" = keep-me"
stop_front "$PT"
ok "homefsd exited, and nothing pins the backing fs (backing ids closed)" umount "$T/back"
ok "no homefsd errors logged" sh -c "! grep -E 'ERROR|Sanitizer|runtime error|Cannot close backing' '$T/homefsd.log'"
[ "$tap_failed" -gt 0 ] && sed 's/^/# homefsd: /' "$T/homefsd.log"
finish
