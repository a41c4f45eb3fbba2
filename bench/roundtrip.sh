#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The FUSE round trip by transport, in one run: native ext4, homefsd over
# the same ext4 taking requests through /dev/fuse (--no-io-uring), and
# through FUSE over io_uring (--io-uring). The ext4 is on a loop device over
# an image in /dev/shm: no disk, whose noise (other work on a shared
# machine) would drown the round trip.
# Cases (bench/roundtrip.c): null = statx(AT_STATX_FORCE_SYNC), which on
# FUSE is one GETATTR round trip; null2 = the same from two threads pinned
# to CPUs 0 and 1 (µs per op of the pair); create 10k empty files; stat of
# those 10k files after homefsd was restarted (each a LOOKUP; native: warm);
# unlink them. And the machine's floor (switch, switchx): one byte back and
# forth through pipes between two processes on one CPU and on two. Medians
# of RUNS runs, ratios to native in the same run.
#
#   bench/roundtrip.sh [RUNS]     (root; build in ./build or $HOMEFS_BUILD_ROOT)
#
# Turns the fuse module parameter enable_uring on for the run and restores
# it at the end.

set -eu -o pipefail
RUNS=${1:-5}
B=${HOMEFS_BUILD_ROOT:-$(cd "$(dirname "$0")/.." && pwd)/build}
HOMEFSD=${HOMEFSD:-$B/fs/homefsd}
RT=$B/bench/homefs-roundtrip
PARAM=/sys/module/fuse/parameters/enable_uring
[ "$(id -u)" -eq 0 ] || { echo "roundtrip.sh: run as root" >&2; exit 1; }
[ -w "$PARAM" ] || { echo "roundtrip.sh: $PARAM is missing: the kernel has no FUSE over io_uring" >&2; exit 1; }

T=$(mktemp -d /var/tmp/homefs-rt.XXXXXX)
IMG=$(mktemp /dev/shm/homefs-rt.XXXXXX)
LOOP=
OLD_PARAM=$(cat "$PARAM")
declare -A PIDS=()
stop() {        # stop CFG
        local pid=${PIDS[$1]:-}
        [ -n "$pid" ] || return 0
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        PIDS[$1]=
}
cleanup() {
        for c in dev uring; do stop $c; mountpoint -q "$T/mnt-$c" 2>/dev/null && umount -l "$T/mnt-$c"; done
        mountpoint -q "$T/ext4" 2>/dev/null && umount "$T/ext4"
        [ -n "$LOOP" ] && losetup -d "$LOOP"
        echo "$OLD_PARAM" >"$PARAM"
        rm -rf "$T" "$IMG"
}
trap cleanup EXIT
trap 'exit 1' INT TERM PIPE HUP  # else a timeout (SIGTERM) skips the cleanup
echo Y >"$PARAM"
truncate -s 1G "$IMG"
mkfs.ext4 -q -F "$IMG"
LOOP=$(losetup -f --show "$IMG")
mkdir "$T/ext4"
mount "$LOOP" "$T/ext4"

start() {       # start CFG
        local c=$1 opt=--no-io-uring
        [ "$c" = uring ] && opt=--io-uring
        mkdir -p "$T/ext4/back-$c" "$T/mnt-$c"
        "$HOMEFSD" --attach-dir="$T/ext4/back-$c" --mountpoint="$T/mnt-$c" --stats-file="$T/$c.stats" $opt root \
                2>>"$T/$c.log" &
        PIDS[$c]=$!
        for _ in $(seq 100); do
                [ "$(findmnt -n -o FSTYPE --mountpoint "$T/mnt-$c" 2>/dev/null)" = fuse.homefs ] && break
                sleep 0.05
        done
        stat "$T/mnt-$c" >/dev/null   # INIT done, queues registered
}
transport() {   # transport CFG: as homefsd's stats say
        kill -s SIGRTMIN+1 "${PIDS[$1]}"; sleep 0.2
        awk '$1 == "transport" { print $2 }' "$T/$1.stats"
}
dir_of() { [ "$1" = native ] && echo "$T/ext4/native" || echo "$T/mnt-$1"; }

mkdir -p "$T/ext4/native"
start dev; start uring
echo "# transports: dev=$(transport dev) uring=$(transport uring)"
[ "$(transport uring)" = io_uring ] || { echo "roundtrip.sh: homefsd did not get io_uring; see $T/uring.log" >&2; cat "$T/uring.log" >&2; exit 1; }

for r in $(seq "$RUNS"); do
        # The machine's floor: a bare round trip between two processes.
        "$RT" switch 100000 | sed "s/^/native /"
        "$RT" switchx 20000 | sed "s/^/native /"
        for c in native dev uring; do
                d=$(dir_of $c)
                "$RT" null "$d" 20000 | sed "s/^/$c /"
                "$RT" null2 "$d" 20000 | sed "s/^/$c /"
                "$RT" create "$d" 10000 | sed "s/^/$c /"
                if [ $c != native ]; then stop $c; start $c; fi
                "$RT" stat "$d" | sed "s/^/$c /"
                "$RT" unlink "$d" | sed "s/^/$c /"
        done
done >"$T/raw"

echo "# uring requests served through io_uring: $(kill -s SIGRTMIN+1 "${PIDS[uring]}"; sleep 0.2; awk '$1 == "uring_requests" { print $2 }' "$T/uring.stats") (last homefsd)"
awk -v runs="$RUNS" '
function median(key,   n, i, j, t, a) {
        n = split(vals[key], a, " ")
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ vals[$1 " " $2] = vals[$1 " " $2] " " $4 }
END {
        printf "(a bare round trip between two processes, pipes: %.2f µs on one CPU, %.2f µs across two)\n\n", median("native switch"), median("native switchx")
        printf "| case (µs per op, median of %d) | native | /dev/fuse | io_uring | /dev/fuse ÷ native | io_uring ÷ native | io_uring ÷ /dev/fuse |\n", runs
        print "|---|---|---|---|---|---|---|"
        split("null null2 create stat unlink", cases, " ")
        for (i = 1; i <= 5; i++) {
                k = cases[i]; n = median("native " k); d = median("dev " k); u = median("uring " k)
                printf "| %s | %.2f | %.2f | %.2f | %.2f× | %.2f× | %.2f× |\n", k, n, d, u, d / n, u / n, u / d
        }
}' "$T/raw"
