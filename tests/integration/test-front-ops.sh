#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# homefsd's file operations, in two modes:
#
# * plain (the default): without an agent, --attach-dir serves a plain
#   temporary directory on the host's filesystem at a mountpoint of the
#   test; SIGUSR1/SIGUSR2 stand in for the agent's Detach/Attach. Runs four
#   times (tests/integration/meson.build): with kernel passthrough (the
#   default) and with --no-passthrough, homefsd serving file data itself;
#   each with requests through /dev/fuse (--no-io-uring) and through FUSE
#   over io_uring (--io-uring: the fuse module parameter enable_uring is
#   turned on for the test and restored after; homefsd's counters must show
#   io_uring). A passthrough fd outlives a Detach on its own: only the
#   agent's shutdown of the backing filesystem revokes it
#   (test-passthrough.sh and test-home-lifecycle.sh check that).
# * --home (test-front-ops-home): the same checks inside a real home, as
#   users get it: a LUKS2 image, the userspace crypto engine, ext4 mounted
#   by the agent, and the homefsd the agent starts with its defaults
#   (passthrough, io_uring), only with --stats-file added for the counters.
#   Many promises (suid/sgid and capability clearing, xattrs, hard links,
#   rename flags, fallocate, locks) depend on what the backing filesystem
#   does, so they are checked on the home's own ext4. Detach and Attach are
#   the agent's: homefsctl deactivate and unlock (the shutdown of the
#   backing filesystem then revokes passthrough fds too). The backing
#   directory is reached as root through homefsd's own fd of it
#   (/proc/PID/fd/N). Left to the plain mode, as they start homefsd
#   themselves or stand in for the agent: --no-passthrough and the
#   transport switch, writing the backing directory while locked, SIGTERM
#   and the bare mountpoint, the agent link against a stand-in agent.
#
# Runs as root; creates a temporary user for the unprivileged checks
# (the home's user in --home). Needs /dev/fuse, loop devices, python3 (for
# renameat2, xattrs, seek holes, fcntl locks), tar and diff. TAP output.

. "$(dirname "$0")/lib.sh"
need_privileges

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

MODE=plain
[ "${1:-}" = --home ] && { MODE=home; shift; }
OPTS=("$@")     # homefsd options (plain): --no-passthrough, --io-uring, --no-io-uring
has_opt() { local o; for o in "${OPTS[@]}"; do [ "$o" = "$1" ] && return 0; done; return 1; }
START=$(date +%s.%N)
URING_PARAM=/sys/module/fuse/parameters/enable_uring
if has_opt --io-uring; then
        [ -e "$URING_PARAM" ] || skip_all "the kernel has no FUSE over io_uring ($URING_PARAM)"
        on_cleanup "echo $(cat "$URING_PARAM") >$URING_PARAM"
        echo Y >"$URING_PARAM" || { echo "Bail out! cannot turn on $URING_PARAM"; exit 1; }
fi

# backing_dir: the directory homefsd serves, as root reaches it: homefsd's
# fd of it (the agent's mount of the home's ext4 is in no mount namespace).
# It is the directory fd on another filesystem than the front with the
# front root's inode number (homefsd passes inode numbers through); right
# after an unlock it is the only directory homefsd holds.
backing_dir() {
        local f front_dev
        front_dev=$(stat -c %d "$MNT")
        for f in /proc/"$PID"/fd/*; do
                [ "$(stat -L -c '%F %i' "$f" 2>/dev/null)" = "directory $(stat -c %i "$MNT")" ] &&
                        [ "$(stat -L -c %d "$f")" != "$front_dev" ] && { echo "$f"; return 0; }
        done
        return 1
}

if [ "$MODE" = plain ]; then
        BACK=$T/back
        MNT=$T/front
        LOG=$T/homefsd.log
        new_plain_user U fo
        mkdir -m 0755 "$BACK"
        chown "$U:$U" "$BACK"
        "$HOMEFSD" --attach-dir="$BACK" --mountpoint="$MNT" --stats-file="$T/stats" "${OPTS[@]}" "$U" 2>"$LOG" &
        PID=$!
        for _ in $(seq 100); do
                [ "$(findmnt -n -o FSTYPE --mountpoint "$MNT" 2>/dev/null)" = fuse.homefs ] && break
                sleep 0.05
        done
else
        command -v cryptsetup >/dev/null || skip_all "cryptsetup (cryptsetup-bin) is not installed"
        # The agent's homefsd, with its counters written where the test reads them.
        printf '#!/bin/sh\nexec %q --stats-file=%q "$@"\n' "$HOMEFSD" "$T/stats" >"$T/homefsd-stats"
        chmod 755 "$T/homefsd-stats"
        start_agent --homefsd="$T/homefsd-stats"
        new_user_name U fo
        PW='front ops pw'
        MNT=$T/home/$U
        LOG=$T/agent.log
        # Room for the copy of /usr/share/doc below (the image is sparse).
        ok "create a home" create_home "$U" "$PW" --disk-size=1G
        ok "unlock it" unlock_home "$U" "$PW"
        [ "$tap_failed" -eq 0 ] || fail_now "cannot go on without an unlocked home"
        PID=$(home_front "$U") || fail_now "homefsd of $U not found"
        BACK=$(backing_dir) || fail_now "homefsd holds no fd of the home's backing directory"
        diag "the home's backing directory: $BACK -> $(readlink "$BACK")"
fi
UID_U=$(id -u "$U")
GID_U=$(id -g "$U")
as_user() { setpriv --reuid="$UID_U" --regid="$GID_U" --clear-groups -- "$@"; }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }

ok "mounted as fuse.homefs" test "$(findmnt -n -o FSTYPE,SOURCE --mountpoint "$MNT")" = "fuse.homefs homefs:$U"
if [ "$MODE" = plain ]; then
        ok "root of the attached home is the backing directory" test "$(stat -c '%a %u' "$MNT")" = "755 $UID_U"
else
        ok "root of the unlocked home: the user's, mode 0700" test "$(stat -c '%a %u' "$MNT")" = "700 $UID_U"
        ok "... as on the backing directory" test "$(stat -L -c '%a %u' "$BACK")" = "700 $UID_U"
        # Other users' checks below need to reach into the home, as in the plain mode.
        chmod 755 "$MNT"
fi

# ---- as root ----
M=$MNT
echo hello >"$M/f"
ok "create and read" test "$(cat "$M/f")" = hello
echo world >>"$M/f"
ok "append" test "$(cat "$M/f")" = "$(printf 'hello\nworld')"
truncate -s 3 "$M/f"
ok "truncate" test "$(cat "$M/f")" = hel
ok "write at an offset" sh -c "printf XY | dd of='$M/f' bs=1 seek=1 conv=notrunc status=none && test \"\$(cat '$M/f')\" = hXY"
chmod 640 "$M/f"
ok "chmod" test "$(stat -c %a "$M/f")" = 640
chown "$U:$U" "$M/f"
ok "chown by root (mount and backing)" test "$(stat -c %u:%g "$M/f") $(stat -c %u:%g "$BACK/f")" = "$UID_U:$GID_U $UID_U:$GID_U"
touch -d @1000000000 "$M/f"
ok "utimes" test "$(stat -c %Y "$M/f")" = 1000000000
touch -a -d @1500000000 "$M/f"
ok "utimes with UTIME_OMIT leaves mtime" test "$(stat -c '%X %Y' "$M/f")" = "1500000000 1000000000"
touch -m "$M/f"
ok "utimes with UTIME_NOW" test "$(stat -c %Y "$M/f")" -ge "$(($(date +%s) - 5))"
ln -s "some/where" "$M/sl"
ok "symlink and readlink" test "$(readlink "$M/sl")" = some/where
ok "symlink on the backing dir" test "$(readlink "$BACK/sl")" = some/where
ln "$M/f" "$M/hard"
ok "hard link" test "$(stat -c '%h %i' "$M/hard")" = "2 $(stat -c %i "$M/f")"
mv "$M/hard" "$M/hard2"
ok "rename" test -e "$M/hard2" -a ! -e "$M/hard"
echo A >"$M/xa"; echo B >"$M/xb"
ok "rename with RENAME_EXCHANGE" "$PYTHON" -c '
import ctypes, sys, os
libc = ctypes.CDLL(None, use_errno=True)
r = libc.renameat2(-100, sys.argv[1].encode(), -100, sys.argv[2].encode(), 2)
sys.exit(r != 0 or open(sys.argv[1]).read() != "B\n" or open(sys.argv[2]).read() != "A\n")' "$M/xa" "$M/xb"
ok "rename with RENAME_NOREPLACE refuses to replace" "$PYTHON" -c '
import ctypes, sys, errno
libc = ctypes.CDLL(None, use_errno=True)
r = libc.renameat2(-100, sys.argv[1].encode(), -100, sys.argv[2].encode(), 1)
sys.exit(not (r == -1 and ctypes.get_errno() == errno.EEXIST))' "$M/xa" "$M/xb"
mkdir "$M/d"; mkdir "$M/d/e"
ok "mkdir" test -d "$M/d/e" -a -d "$BACK/d/e"
rmdir "$M/d/e"
ok "rmdir" test ! -e "$M/d/e" -a ! -e "$BACK/d/e"
rm "$M/hard2"
ok "unlink" test ! -e "$M/hard2" -a "$(stat -c %h "$M/f")" = 1
mkfifo "$M/fifo"
ok "mknod fifo" test "$(stat -c %F "$M/fifo")" = fifo
ok "fifo passes data" sh -c "(echo through >'$M/fifo' &) ; test \"\$(cat '$M/fifo')\" = through"
ok "xattr set/get/list/remove" "$PYTHON" -c '
import os, sys
p = sys.argv[1]
os.setxattr(p, "user.homefs", b"value")
assert os.getxattr(p, "user.homefs") == b"value"
assert "user.homefs" in os.listxattr(p)
os.removexattr(p, "user.homefs")
assert "user.homefs" not in os.listxattr(p)' "$M/f"
# listxattr as native ext4 answers it: trusted.* names only to a caller with
# CAP_SYS_ADMIN (not one that has it in a user namespace of its own),
# security.* and user.* names to everyone. Compared with a native ext4 made here.
mkdir "$T/native" && truncate -s 16M "$T/native.img" && mkfs.ext4 -q -F "$T/native.img" &&
        mount -o loop "$T/native.img" "$T/native" && chmod 755 "$T/native"
for f in "$T/native/xa" "$M/xa"; do
        echo x >"$f" && chmod 644 "$f"
        "$PYTHON" -c 'import os, sys
for n in ("trusted.homefs", "security.homefs", "user.homefs"): os.setxattr(sys.argv[1], n, b"secret")' "$f"
done
names() { "$PYTHON" -c 'import os, sys; print(" ".join(sorted(os.listxattr(sys.argv[1]))))' "$1"; }
sized() { "$PYTHON" -c 'import ctypes, sys; print(ctypes.CDLL(None).listxattr(sys.argv[1].encode(), None, 0))' "$1"; }
ok "native ext4 hides trusted.* from a user" test "$(as_nobody "$PYTHON" -c 'import os, sys; print(" ".join(sorted(os.listxattr(sys.argv[1]))))' "$T/native/xa")" = "security.homefs user.homefs"
ok "listxattr as a user on the front equals native ext4" \
        test "$(as_nobody bash -c "$(declare -f names); PYTHON=$PYTHON; names '$M/xa'")" = "$(as_nobody bash -c "$(declare -f names); PYTHON=$PYTHON; names '$T/native/xa'")"
ok "... and the size query counts the filtered list" \
        test "$(as_nobody bash -c "$(declare -f sized); PYTHON=$PYTHON; sized '$M/xa'")" = "$(as_nobody bash -c "$(declare -f sized); PYTHON=$PYTHON; sized '$T/native/xa'")"
ok "listxattr as root on the front equals native ext4 (trusted.* shown)" test "$(names "$M/xa")" = "$(names "$T/native/xa")"
ok "... and holds trusted.homefs" sh -c "echo '$(names "$M/xa")' | grep -q trusted.homefs"
if as_nobody unshare -Ur true 2>/dev/null; then
        ok "CAP_SYS_ADMIN in a user namespace of one's own does not show trusted.* on the front" \
                test "$(as_nobody unshare -Ur "$PYTHON" -c 'import os, sys; print(" ".join(sorted(os.listxattr(sys.argv[1]))))' "$M/xa")" = "security.homefs user.homefs"
else
        diag "unprivileged user namespaces are off here; the namespace case is not reachable"
fi
umount "$T/native"
fallocate -l 1M "$M/falloc"
ok "fallocate" test "$(stat -c %s "$M/falloc")" = 1048576 -a "$(stat -c %b "$BACK/falloc")" -ge 2048
ok "fallocate punch hole" fallocate -p -o 0 -l 65536 "$M/falloc"
ok "seek data and holes" "$PYTHON" -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
os.ftruncate(fd, 8 << 20)
os.pwrite(fd, b"x" * 4096, 4 << 20)
os.fsync(fd)
assert os.lseek(fd, 0, os.SEEK_DATA) == 4 << 20
assert os.lseek(fd, 4 << 20, os.SEEK_HOLE) == (4 << 20) + 4096
' "$M/sparse"
ok "copy_file_range" "$PYTHON" -c '
import os, sys
a = os.open(sys.argv[1], os.O_RDONLY); b = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT, 0o644)
assert os.copy_file_range(a, b, 3, 0, 0) == 3
os.close(b)
assert open(sys.argv[2]).read() == "hXY"' "$M/f" "$M/copy"
flock "$M/f" sleep 3 &
LOCKER=$!
sleep 0.5
ok "flock excludes another holder" sh -c "! flock -n '$M/f' true"
wait $LOCKER
ok "flock works again after release" flock -n "$M/f" true
ok "fcntl (POSIX) locks conflict across processes" "$PYTHON" -c '
import fcntl, os, sys, time
p = sys.argv[1]
r, w = os.pipe()
if os.fork() == 0:
    f = open(p, "r+"); fcntl.lockf(f, fcntl.LOCK_EX, 10, 0); os.write(w, b"1"); time.sleep(2); os._exit(0)
os.read(r, 1)
f = open(p, "r+")
try:
    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0); sys.exit(1)
except OSError:
    pass
fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 20)   # other range: fine
fcntl.lockf(f, fcntl.LOCK_EX, 10, 0)                    # waits for the child
os.wait()' "$M/f"
ok "statfs reports the backing filesystem" test "$(stat -f -c '%b %S' "$M")" = "$(stat -f -c '%b %S' "$BACK")"

# ---- as an unprivileged user ----
ok "user creates a file" as_user sh -c "echo mine >'$M/ufile'"
ok "the user's file is theirs on the mount" test "$(stat -c %u:%g "$M/ufile")" = "$UID_U:$GID_U"
ok "the user's file is theirs on the backing dir" test "$(stat -c %u:%g "$BACK/ufile")" = "$UID_U:$GID_U"
ok "user mkdir, symlink, fifo owned by the user" as_user sh -c "mkdir '$M/udir' && ln -s x '$M/ulink' && mkfifo '$M/ufifo'"
ok "... on the backing dir too" test "$(stat -c %u "$BACK/udir" "$BACK/ulink" "$BACK/ufifo" | sort -u)" = "$UID_U"
mkdir -m 2777 "$M/sgid"; chgrp 65534 "$M/sgid"
as_user touch "$M/sgid/inherit"
ok "setgid directory passes its group on" test "$(stat -c %u:%g "$BACK/sgid/inherit")" = "$UID_U:65534"
mkdir -m 0700 "$M/rootonly"; echo secret >"$M/rootonly/s"
ok "user cannot list root's 0700 dir" sh -c "! setpriv --reuid=$UID_U --regid=$GID_U --clear-groups -- ls '$M/rootonly' 2>/dev/null"
ok "user cannot read in root's 0700 dir" sh -c "! setpriv --reuid=$UID_U --regid=$GID_U --clear-groups -- cat '$M/rootonly/s' 2>/dev/null"
as_user mkdir -m 0700 "$M/private"
ok "another user cannot enter the user's 0700 dir" sh -c "! setpriv --reuid=65534 --regid=65534 --clear-groups -- ls '$M/private' 2>/dev/null"
ok "user cannot give a file away" sh -c "! setpriv --reuid=$UID_U --regid=$GID_U --clear-groups -- chown 0 '$M/ufile' 2>/dev/null"
ok "user cannot write root's file" sh -c "echo x >'$M/rootfile'; chmod 644 '$M/rootfile'; ! setpriv --reuid=$UID_U --regid=$GID_U --clear-groups -- sh -c 'echo y >>$M/rootfile' 2>/dev/null"
ok "user can chmod and truncate their own file" as_user sh -c "chmod 600 '$M/ufile' && truncate -s 1 '$M/ufile' && test \"\$(stat -c '%a %s' '$M/ufile')\" = '600 1'"

# ---- suid/sgid and capabilities cleared as on ext4 (FUSE_HANDLE_KILLPRIV_V2) ----
as_user sh -c "echo data >'$M/sx'"
mode_after() { # mode_after COMMAND...: chmod 6755 as the user, run, print the mode
        as_user chmod 6755 "$M/sx" && "$@" && stat -c %a "$M/sx"
}
ok "a user's write clears suid and sgid" test "$(mode_after as_user sh -c "echo more >>'$M/sx'")" = 755
ok "a user's truncate clears them" test "$(mode_after as_user truncate -s 2 "$M/sx")" = 755
ok "a user's O_TRUNC open clears them" test "$(mode_after as_user sh -c "echo new >'$M/sx'")" = 755
# CREATE of a name the kernel holds as absent, which exists now (made
# behind the kernel's cache): an O_TRUNC open of an existing file all the same.
as_user mkdir "$M/sxd"
test ! -e "$M/sxd/f" # the kernel caches the negative entry
(umask 022; echo data >"$BACK/sxd/f"); chown "$UID_U:$GID_U" "$BACK/sxd/f"; chmod 6755 "$BACK/sxd/f"
ok "a user's O_TRUNC create of an existing file clears them" sh -c "setpriv --reuid=$UID_U --regid=$GID_U --clear-groups -- sh -c \": >'$M/sxd/f'\" && test \"\$(stat -c %a '$BACK/sxd/f')\" = 755"
ok "chown clears them" test "$(mode_after chown "$UID_U:$GID_U" "$M/sx")" = 755
# copy_file_range and fallocate change the file too (ext4 clears the bits
# there as well); with KILLPRIV_V2 the kernel leaves that to homefsd.
as_user sh -c "echo source >'$M/cfr-src'"
ok "a user's copy_file_range into the file clears them" test "$(mode_after as_user "$PYTHON" -c 'import os, sys
src = os.open(sys.argv[1], os.O_RDONLY); dst = os.open(sys.argv[2], os.O_WRONLY)
assert os.copy_file_range(src, dst, 7, 0, 0) == 7' "$M/cfr-src" "$M/sx")" = 755
ok "a user's fallocate clears them" test "$(mode_after as_user "$PYTHON" -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY); os.posix_fallocate(fd, 0, 65536)' "$M/sx")" = 755
ok "a user's hole punch clears them" test "$(mode_after as_user fallocate --punch-hole --offset 0 --length 4096 "$M/sx")" = 755
ok "the backing file agrees" test "$(stat -c %a "$BACK/sx")" = 755
ok "a sgid-only file without group exec keeps sgid on a write" test "$(as_user chmod 2745 "$M/sx" && as_user sh -c "echo x >>'$M/sx'" && stat -c %a "$M/sx")" = 2745
set_cap() { "$PYTHON" -c 'import os, struct, sys
os.setxattr(sys.argv[1], "security.capability", struct.pack("<IIIII", 0x02000001, 1 << 10, 0, 0, 0))' "$M/sx"; }
has_cap() { "$PYTHON" -c 'import os, sys; os.getxattr(sys.argv[1], "security.capability")' "$BACK/sx" 2>/dev/null; }
ok "security.capability can be set" sh -c "$(declare -f set_cap has_cap); PYTHON=$PYTHON M=$M BACK=$BACK; set_cap && has_cap"
ok "a user's write removes security.capability" sh -c "$(declare -f has_cap); PYTHON=$PYTHON BACK=$BACK; chmod 666 '$M/sx'; setpriv --reuid=$UID_U --regid=$GID_U --clear-groups -- sh -c \"echo y >>'$M/sx'\" && ! has_cap"
# homefsd answers "no security.capability" for files it created without a
# syscall, until one is set: it must then read back at once.
as_user sh -c "echo data >'$M/newcap'"
ok "a new file's security.capability: absent, then as set" "$PYTHON" -c 'import errno, os, struct, sys
p = sys.argv[1]
try:
    os.getxattr(p, "security.capability")
    sys.exit("present on a new file")
except OSError as e:
    if e.errno != errno.ENODATA:
        raise
v = struct.pack("<IIIII", 0x02000001, 1 << 10, 0, 0, 0)
os.setxattr(p, "security.capability", v)
sys.exit(os.getxattr(p, "security.capability") != v)' "$M/newcap"
counter() { kill -RTMIN+1 "$PID"; sleep 0.3; awk -v k="$1" '$1 == k { print $2 }' "$T/stats"; }
GX0=$(counter getxattr)
as_user "$PYTHON" -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
for i in range(200): os.pwrite(fd, b"x" * 4096, i * 4096)
os.close(fd)' "$M/writes"
GX1=$(counter getxattr)
diag "GETXATTR requests for 200 writes: $((GX1 - GX0))"
ok "write() costs no GETXATTR (at most the first write of an inode)" test $((GX1 - GX0)) -le 1

# ---- a larger tree ----
# From a snapshot: /usr/share/doc can change under the test (other suites
# install and purge packages on this machine).
mkdir "$M/doc" "$T/doc"
tar -C /usr/share/doc -cf "$T/doc.tar" . 2>/dev/null
tar -C "$T/doc" -xf "$T/doc.tar"
t0=$(date +%s.%N)
tar -C "$M/doc" -xf "$T/doc.tar"
ok "tar extract of /usr/share/doc" test $? = 0
ok "diff -r against the original" diff -r --no-dereference "$T/doc" "$M/doc"
diag "tar + diff of /usr/share/doc: $(elapsed "$t0") s"
ok "rm -r of the tree" rm -rf "$M/doc"

# ---- listings the kernel keeps (FOPEN_CACHE_DIR): each change made
# through the mount shows in the next listing, and the kept listing
# answers nobody the directory's permissions refuse ----
listing() { ls -A "$1" | tr '\n' ' '; }
mkdir "$M/ls" "$M/ls2"; touch "$M/ls/a" "$M/ls/b"
ok "a listing" test "$(listing "$M/ls")" = "a b "
ok "the same listing again, from the kernel's copy" test "$(listing "$M/ls")" = "a b "
touch "$M/ls/c"
ok "a create shows in the next listing" test "$(listing "$M/ls")" = "a b c "
rm "$M/ls/a"
ok "an unlink shows" test "$(listing "$M/ls")" = "b c "
mv "$M/ls/b" "$M/ls2/b"
ok "a rename between directories shows in both" test "$(listing "$M/ls")|$(listing "$M/ls2")" = "c |b "
ln "$M/ls/c" "$M/ls2/c2"
ok "a hard link shows" test "$(listing "$M/ls2")" = "b c2 "
mkdir "$M/ls/d"; ln -s c "$M/ls/l"; mkfifo "$M/ls/f"
ok "mkdir, symlink, mkfifo show" test "$(listing "$M/ls")" = "c d f l "
rmdir "$M/ls/d"; mv "$M/ls/l" "$M/ls/l2"
ok "rmdir and a rename in place show" test "$(listing "$M/ls")" = "c f l2 "
same_listings() { test "$(listing "$M/ls")|$(listing "$M/ls2")" = "$(listing "$BACK/ls")|$(listing "$BACK/ls2")"; }
ok "the listings match the backing directories" same_listings
chmod 0700 "$M/ls2"
ok "a kept listing of a 0700 directory is refused to another user" \
        sh -c "! setpriv --reuid=$UID_U --regid=$GID_U --clear-groups -- ls '$M/ls2' 2>/dev/null"
ok "and still listed for its owner" test "$(listing "$M/ls2")" = "b c2 "

# ---- the transport the requests above took, as homefsd counted them ----
rm -f "$T/stats"
kill -s SIGRTMIN+1 "$PID"
for _ in $(seq 50); do [ -s "$T/stats" ] && break; sleep 0.05; done
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$T/stats"; }
diag "transport $(stat_of transport), $(stat_of uring_requests) requests through io_uring"
# The agent turns enable_uring on at start: a home uses io_uring where the
# kernel has it.
if has_opt --io-uring || { [ "$MODE" = home ] && [ -e "$URING_PARAM" ]; }; then
        ok "transport: FUSE over io_uring, the requests came through it" \
                test "$(stat_of transport)" = io_uring -a "$(stat_of uring_requests)" -gt 100
        ok "transport: homefsd's log says io_uring" grep -q "serving FUSE requests through io_uring" "$LOG"
        # As the agent starts it, homefsd keeps CAP_SYS_NICE: every queue
        # thread can use local wake-ups (fs/wake-local.c).
        [ "$MODE" = home ] && ok "a home's queue threads can use local wake-ups" \
                test "$(stat_of local_wake_threads)" = "$(nproc --all)"
else
        ok "transport: /dev/fuse only" test "$(stat_of transport) $(stat_of uring_requests)" = "/dev/fuse 0"
fi

# ---- Detach (SIGUSR1, or the agent's deactivate) ----
# detach / attach: the agent's Detach and Attach, or homefsd's stand-ins.
detach() {
        if [ "$MODE" = plain ]; then
                kill -USR1 "$PID"
                for _ in $(seq 100); do [ "$(stat -c %a "$MNT")" = 700 ] && break; sleep 0.05; done
        else
                "$CTL" deactivate "$U" >&2
        fi
}
attach() {
        if [ "$MODE" = plain ]; then
                kill -USR2 "$PID"
                for _ in $(seq 100); do [ "$(stat -c %a "$MNT")" = 755 ] && break; sleep 0.05; done
        else
                unlock_home "$U" "$PW" >&2 && BACK=$(backing_dir)
        fi
}
echo "before detach" >"$M/keep"
# A negative entry directly below the root, cached when the Detach comes.
stat "$M/appears" >/dev/null 2>&1
# The plain mode makes the name while locked, behind homefsd; the home's
# backing filesystem is gone then, so it is made behind the kernel's back now.
[ "$MODE" = home ] && echo appeared >"$BACK/appears"
# Two names of one file, both in the kernel's cache when the Detach comes.
echo linked >"$M/hl1" && ln "$M/hl1" "$M/hl2" && mkdir "$M/hld" && ln "$M/hl1" "$M/hld/hl3"
cat "$M/hl1" "$M/hl2" "$M/hld/hl3" >/dev/null
# Which fds of homefsd point into the backing filesystem: those below the
# backing directory's path (plain), those on the home's ext4 (home).
if [ "$MODE" = plain ]; then HELD_IN=$BACK; else HELD_IN=dev:$(stat -L -c %d "$BACK"); fi
# The python helper holds fds across the Detach, then reports what happens.
DETACH_OUT=$("$PYTHON" - "$MNT" "$HELD_IN" "$PID" "$LOG" "$MODE" "$CTL" "$U" <<'EOF'
import errno, os, signal, subprocess, sys, time
mnt, back, pid, log, mode, ctl, user = sys.argv[1:8]
pid = int(pid)
fd = os.open(mnt + "/keep", os.O_RDWR)
dfd = os.open(mnt + "/d", os.O_RDONLY | os.O_DIRECTORY)
if mode == "plain":
    detached = open(log).read().count("Detached: locked.")
    os.kill(pid, signal.SIGUSR1)
    # The root shows locked as soon as Detach starts; handles are revoked at
    # its end, which homefsd logs.
    for _ in range(200):
        if open(log).read().count("Detached: locked.") > detached:
            break
        time.sleep(0.05)
else:
    # The agent's deactivate returns when Detach and the shutdown are done.
    r = subprocess.run([ctl, "deactivate", user], stdout=sys.stderr)
    print("deactivate=" + ("ok" if r.returncode == 0 else "failed"))
def code(f):
    try:
        f()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
print("read=" + code(lambda: os.pread(fd, 10, 0)))
# Rewrites the first byte with itself: the content is checked below.
print("write=" + code(lambda: os.pwrite(fd, b"b", 0)))
print("fsync=" + code(lambda: os.fsync(fd)))
print("ftruncate=" + code(lambda: os.ftruncate(fd, 0)))
print("fstat=" + code(lambda: os.fstat(fd)))
def getdents():
    # getdents64 straight on the old fd (os.listdir would fstat it first,
    # and getattr of a directory carries no handle: that gives ENOKEY).
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(4096)
    nr = {"x86_64": 217, "aarch64": 61}[os.uname().machine]
    if libc.syscall(nr, dfd, buf, 4096) < 0:
        raise OSError(ctypes.get_errno(), "getdents64")
print("readdir=" + code(getdents))
print("open=" + code(lambda: os.open(mnt + "/keep", os.O_RDONLY)))
print("create=" + code(lambda: os.open(mnt + "/new", os.O_RDWR | os.O_CREAT, 0o644)))
print("mkdir=" + code(lambda: os.mkdir(mnt + "/newdir")))
print("stat=" + code(lambda: os.stat(mnt + "/keep")))
print("statd=" + code(lambda: os.stat(mnt + "/d")))
print("listroot=" + code(lambda: os.listdir(mnt)))
print("statfs=" + code(lambda: os.statvfs(mnt)))
def into_back(path):
    if back.startswith("dev:"):
        return os.stat(path).st_dev == int(back[4:])
    t = os.readlink(path)
    return t == back or t.startswith(back + "/")
held = []
for n in os.listdir("/proc/%d/fd" % pid):
    try:
        if into_back("/proc/%d/fd/%s" % (pid, n)):
            held.append(os.readlink("/proc/%d/fd/%s" % (pid, n)))
    except OSError:
        continue
print("held=" + (",".join(held) or "none"))
print("close=" + code(lambda: os.close(fd)))
os.close(dfd)
EOF
)
diag "$(echo $DETACH_OUT)"
has() { grep -qx "$1" <<<"$DETACH_OUT"; }
[ "$MODE" = home ] && ok "deactivate with files held open" has deactivate=ok
if [ "$MODE" = home ] || has_opt --no-passthrough; then
        # In a home the agent shuts the backing filesystem down right after
        # Detach, which stops passthrough I/O too.
        ok "after Detach: read on an earlier fd gives EIO" has read=EIO
        ok "after Detach: write on an earlier fd gives EIO" has write=EIO
else
        # The kernel serves this fd from the backing file; homefsd cannot
        # stop it, the backing filesystem's shutdown does.
        ok "after Detach alone: a passthrough fd still reads (revoked by the agent's shutdown)" has read=ok
fi
ok "after Detach: fsync on an earlier fd gives EIO" has fsync=EIO
ok "after Detach: ftruncate on an earlier fd gives EIO" has ftruncate=EIO
# EIO from the revoked handle, or ENOKEY where the kernel, holding a
# listing of the directory, first asks for its attributes (FOPEN_CACHE_DIR).
readdir_refused() { has readdir=EIO || has readdir=ENOKEY; }
ok "after Detach: readdir on an earlier dir fd fails (EIO or ENOKEY)" readdir_refused
ok "after Detach: open gives ENOKEY" has open=ENOKEY
ok "after Detach: create gives ENOKEY" has create=ENOKEY
ok "after Detach: mkdir gives ENOKEY" has mkdir=ENOKEY
ok "after Detach: stat of a cached file gives ENOKEY" has stat=ENOKEY
ok "after Detach: stat of a cached dir gives ENOKEY" has statd=ENOKEY
ok "after Detach: listing the root gives ENOKEY" has listroot=ENOKEY
ok "after Detach: statfs works" has statfs=ok
for n in hl1 hl2 hld/hl3; do
        ok "after Detach: cached hard-link name $n: stat says ENOKEY at once" says_enokey stat "$M/$n"
        ok "after Detach: cached hard-link name $n: open says ENOKEY at once" says_enokey cat "$M/$n"
done
ok "after Detach: homefsd holds no fd into the backing filesystem" has held=none
ok "locked root: mode 0700, owned by the user" test "$(stat -c '%a %u %g %F' "$MNT")" = "700 $UID_U $GID_U directory"
ok "locked root: ls says Required key not available" sh -c "ls '$MNT' 2>&1 | grep -q 'Required key not available'"
ok "locked root: cat says Required key not available" sh -c "cat '$MNT/keep' 2>&1 | grep -q 'Required key not available'"
ok "locked root: nothing can be created" sh -c "! touch '$MNT/x' 2>/dev/null && ! mkdir '$MNT/y' 2>/dev/null"
ok "locked root: not even by the user" sh -c "! setpriv --reuid=$UID_U --regid=$GID_U --clear-groups -- touch '$MNT/x' 2>/dev/null"
# In a home the backing filesystem is unmounted now: checked after the unlock.
if [ "$MODE" = plain ]; then
        ok "the backing dir was not written while locked" \
                test ! -e "$BACK/x" -a ! -e "$BACK/y" -a ! -e "$BACK/new" -a ! -e "$BACK/newdir" -a "$(cat "$BACK/keep")" = "before detach"
        echo appeared >"$BACK/appears" # as if written by another mount of the home
fi

# ---- Attach again (SIGUSR2, or the agent's unlock) ----
attach
ok "after Attach: files are back" test "$(cat "$M/keep")" = "before detach"
ok "after Attach: directories listed before the Detach list as the backing ones" same_listings
[ "$MODE" = home ] && ok "the backing dir was not written while locked" \
        test ! -e "$BACK/x" -a ! -e "$BACK/y" -a ! -e "$BACK/new" -a ! -e "$BACK/newdir" -a "$(cat "$BACK/keep")" = "before detach"
ok "after Attach: a name negative before the Detach is looked up again" test "$(cat "$M/appears" 2>&1)" = appeared
ok "after Attach: writes work" sh -c "echo again >>'$M/keep' && test \"\$(cat '$BACK/keep')\" = \"\$(printf 'before detach\nagain')\""
ok "after Attach: the tree is whole" test -d "$M/d" -a -p "$M/fifo" -a "$(readlink "$M/sl")" = some/where
ok "after Attach: the user's files are theirs" test "$(stat -c %u "$M/ufile")" = "$UID_U"
ok "after Attach: the hard links are one file again, not stale" sh -c "test \"\$(stat -c %i '$M/hl1')\" = \"\$(stat -c %i '$M/hld/hl3')\" && test \"\$(cat '$M/hl2')\" = linked"
exec 8<"$M/keep"
detach
attach
ok "an fd from before a Detach stays dead after the next Attach" sh -c "! cat <&8 >/dev/null 2>&1"
exec 8<&- 2>/dev/null

if [ "$MODE" = home ]; then
        ok "deactivate" "$CTL" deactivate "$U"
        diag "test took $(elapsed "$START") s"
        finish  # the agent's log is shown by the cleanup on a failure
fi

# ---- Terminate ----
kill -TERM "$PID"
for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done
ok "SIGTERM: homefsd exits" sh -c "! kill -0 $PID 2>/dev/null"
wait "$PID"; RC=$?
ok "SIGTERM: exit status 0" test "$RC" = 0
ok "SIGTERM: unmounted" sh -c "! mountpoint -q '$MNT'"
ok "bare mountpoint is root's, mode 0000" test "$(stat -c '%a %u' "$MNT")" = "0 0"
PID=

# ---- the agent link, against a stand-in agent ----
mkdir -m 0755 "$T/run"
AGENT_OUT=$(HOMEFS_RUNTIME_DIR=$T/run "$PYTHON" - "$HOMEFSD" "$U" "$BACK" "$T/home2" "$T" 2>&1 <<'EOF'
import errno, json, os, socket, subprocess, sys, time
homefsd, user, back, mnt, tmp = sys.argv[1:6]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(os.environ["HOMEFS_RUNTIME_DIR"] + "/agent.sock")
srv.listen(4)
srv.settimeout(10)

def recv(c):
    data = b""
    while not data.endswith(b"\0"):
        chunk = c.recv(65536)
        if not chunk:
            raise EOFError("homefsd closed the connection")
        data += chunk
    return json.loads(data[:-1])

def send(c, msg, fds=()):
    socket.send_fds(c, [json.dumps(msg).encode() + b"\0"], list(fds))

def call(c, method, fds=()):
    send(c, {"method": method, "parameters": {}}, fds)
    r = recv(c)
    assert "error" not in r, r
    print("%s: ok" % method)

def register():
    c, _ = srv.accept()
    c.settimeout(10)
    m = recv(c)
    assert m["method"] == "io.homefs.Agent.RegisterFront", m
    assert m["parameters"] == {"userName": user, "homeDirectory": mnt}, m
    return c

def locked():
    try:
        os.listdir(mnt)
        return False
    except OSError as e:
        return e.errno == errno.ENOKEY

def wait_mounted():
    for _ in range(100):
        if os.path.ismount(mnt):
            return
        time.sleep(0.05)
    raise RuntimeError("not mounted")

def attach(c):
    d = os.open(back, os.O_RDONLY | os.O_DIRECTORY)
    call(c, "io.homefs.Front.Attach", [d])
    os.close(d)
    assert "keep" in os.listdir(mnt)

p = subprocess.Popen([homefsd, "--mountpoint=" + mnt, user], stderr=open(tmp + "/homefsd2.log", "w"))
c = register()
send(c, {"parameters": {}})
wait_mounted()
assert locked(), "locked before Attach"
print("registered, locked: ok")
attach(c)
call(c, "io.homefs.Front.Detach")
assert locked(), "locked after Detach"
attach(c)
c.close()                              # the agent goes away ...
c = register()                         # ... homefsd locks and comes back
assert locked(), "locked after losing the agent"
send(c, {"parameters": {}})
print("re-registered after the agent went away, locked: ok")
call(c, "io.homefs.Front.Terminate")
assert p.wait(timeout=10) == 0
assert not os.path.ismount(mnt)
print("terminated and unmounted: ok")

# A refused registration ends homefsd with an error, unmounted.
p = subprocess.Popen([homefsd, "--mountpoint=" + mnt, user], stderr=open(tmp + "/homefsd3.log", "w"))
c = register()
send(c, {"error": "io.homefs.Agent.PermissionDenied", "parameters": {"message": "no"}})
assert p.wait(timeout=10) != 0
assert not os.path.ismount(mnt)
print("refused registration: exit failure, unmounted: ok")
print("AGENT-LINK-OK")
EOF
)
diag "$(echo $AGENT_OUT)"
ok "agent link: register, Attach, Detach, reconnect, Terminate, refusal" grep -q AGENT-LINK-OK <<<"$AGENT_OUT"

[ "$tap_failed" -eq 0 ] || diag "homefsd log:" "$(cat "$LOG")"
diag "test took $(elapsed "$START") s"
finish
