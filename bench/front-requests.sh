#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Requests homefsd serves per common operation (its --stats-file counters),
# and quick timings of untar/create/unlink of N files against native ext4 on
# a loop device, in the same run. Root; a build in $B (default ./build).
# Usage: bench/front-requests.sh [--no-passthrough] [N]   (N default 10000)
# Prints a markdown table: requests per operation (per file where it says).
set -eu

B=${HOMEFS_BUILD_ROOT:-$(cd "$(dirname "$0")/.." && pwd)/build}
MODE=
[ "${1:-}" = --no-passthrough ] && { MODE=--no-passthrough; shift; }
N=${1:-10000}
K=1000 # files per counted operation
T=$(mktemp -d /var/tmp/homefs-requests.XXXXXX)
LOOPS=()
PID=

cleanup() {
        set +e
        [ -n "$PID" ] && kill -TERM "$PID" && wait "$PID"
        for m in "$T/native" "$T/back"; do mountpoint -q "$m" && umount "$m"; done
        for l in "${LOOPS[@]}"; do losetup -d "$l"; done
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM PIPE HUP  # else a timeout (SIGTERM) skips the cleanup

ext4_at() { # ext4_at DIR: a fresh ext4 on a loop device, mounted at DIR
        truncate -s 4G "$1.img"
        mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 "$1.img"
        local l; l=$(losetup -f --show "$1.img"); LOOPS+=("$l")
        mkdir -p "$1"; mount "$l" "$1"
}
ext4_at "$T/native"
ext4_at "$T/back"
mkdir "$T/back/h" "$T/home"
"$B/fs/homefsd" --attach-dir="$T/back/h" --mountpoint="$T/home" --stats-file="$T/stats" $MODE root 2>"$T/log" &
PID=$!
for _ in $(seq 100); do mountpoint -q "$T/home" && break; sleep 0.05; done

snap() { # snap FILE: homefsd's counters now
        rm -f "$T/stats"; kill -RTMIN+1 "$PID"
        for _ in $(seq 200); do [ -s "$T/stats" ] && break; sleep 0.01; done
        sort "$T/stats" >"$1"
}
# count NAME DIVISOR COMMAND...: requests (total and the main kinds) per op
count() {
        local name=$1 div=$2; shift 2
        snap "$T/a"; "$@" >/dev/null; snap "$T/b"
        join "$T/a" "$T/b" | awk -v n="$name" -v d="$div" '
                $1 !~ /^(passthrough|open_passthrough|inodes|cached_fds)$/ { x = ($3 - $2) / d; tot += x; if (x > 0) s = s sprintf(" %s %.2f", $1, x) }
                END { printf "| %s | %.2f |%s |\n", n, tot, s }'
}
files() { python3 -c 'import os,sys
for i in range(int(sys.argv[2])): os.close(os.open(f"{sys.argv[1]}/f{i}", os.O_CREAT|os.O_WRONLY, 0o644))' "$@"; }
renames() { python3 -c 'import os,sys
for i in range(int(sys.argv[2])): os.rename(f"{sys.argv[1]}/f{i}", f"{sys.argv[1]}/g{i}")' "$@"; }
writes() { python3 -c 'import os,sys
fd = os.open(sys.argv[1], os.O_CREAT|os.O_WRONLY, 0o644)
for i in range(int(sys.argv[2])): os.pwrite(fd, b"x" * 4096, i * 4096)
os.close(fd)' "$@"; }

# A source tree of K small files in 10 directories, and a tarball of it.
mkdir -p "$T/src/t"
for d in $(seq 10); do mkdir "$T/src/t/d$d"; for f in $(seq $((K / 10))); do echo "$d $f" >"$T/src/t/d$d/f$f"; done; done
tar -C "$T/src" -cf "$T/small.tar" t
H=$T/home
echo "| operation | requests | by kind |"
echo "|---|---|---|"
mkdir "$H/c"
count "create (per file)" $K files "$H/c" $K
count "rename (per file)" $K renames "$H/c" $K
count "unlink (per file)" $K rm -r "$H/c"
count "untar (per file)" $K tar -C "$H" -xf "$T/small.tar"
count "stat of an unchanged tree (per file)" $K find "$H/t" -type f -exec stat -c %s {} +
git -C "$H/t" init -q && git -C "$H/t" add -A && git -C "$H/t" -c user.email=b@x -c user.name=b commit -qm x
git -C "$H/t" status -s >/dev/null
count "git status, unchanged $K-file tree (per file)" $K git -C "$H/t" status -s
count "4 KiB write (per write)" $K writes "$H/w" $K

# Timings against native ext4, same run.
mkdir -p "$T/src/big"
for d in $(seq 100); do mkdir "$T/src/big/d$d"; for f in $(seq $((N / 100))); do echo "$f" >"$T/src/big/d$d/f$f"; done; done
tar -C "$T/src" -cf "$T/big.tar" big
now() { date +%s.%N; }
timed() { local a; a=$(now); "$@"; sync; awk -v a="$a" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
echo
echo "| workload ($N files) | native s | homefs s | ratio |"
echo "|---|---|---|---|"
for dir in "$T/native" "$H"; do mkdir "$dir/x" "$dir/y"; done
row() {
        local name=$1 n h; shift
        n=$(timed "$@" "$T/native"); h=$(timed "$@" "$H")
        awk -v w="$name" -v n="$n" -v h="$h" 'BEGIN { printf "| %s | %.2f | %.2f | %.1f× |\n", w, n, h, h / n }'
}
untar() { tar -C "$1/x" -xf "$T/big.tar"; }
create() { files "$1/y" "$N"; }
unlink_all() { rm -r "$1/y"; }
row "untar" untar
row "create" create
row "unlink" unlink_all
