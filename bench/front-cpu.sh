#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# homefsd's CPU time per request: what one FUSE request costs the daemon,
# per common operation. homefsd (passthrough, io_uring where the kernel has
# it) over ext4 on a loop device over an image in /dev/shm (no disk noise).
# For each case, homefsd's CPU time (the sum of its threads' run time from
# /proc/PID/task/*/schedstat, in ns) and its request counters (--stats-file)
# are read before and after; the table gives µs of homefsd CPU per request
# and requests per operation. CPU time, unlike wall time, hardly depends on
# what else the machine runs, so two builds can be compared on a busy one.
#
#   bench/front-cpu.sh [--strace] [RUNS]   (root; build in ./build or $HOMEFS_BUILD_ROOT)
#
# Cases: create N empty files (bench/roundtrip.c), stat them after a
# restart of homefsd (cold: READDIRPLUS and LOOKUP), unlink them, untar N
# small files in 10 directories, null (statx with AT_STATX_FORCE_SYNC: one
# GETATTR each). N=$N (default 10000). Medians of RUNS runs (default 5).
# HOMEFSD=path picks another homefsd binary (A/B of two builds: run the
# script once with each, or set HOMEFSD_B for alternating runs of both).
# HOMEFSD_ARGS adds options (e.g. --no-io-uring, --no-passthrough).
# CASES="stat unlink" reports only those (the others still run: stat and
# unlink need create's files).
# --strace: one more run under `strace -c -f` (slow), printing the system
# calls homefsd makes per request in each case.

set -eu -o pipefail
STRACE=
[ "${1:-}" = --strace ] && { STRACE=1; shift; }
RUNS=${1:-5}
N=${N:-10000}
B=${HOMEFS_BUILD_ROOT:-$(cd "$(dirname "$0")/.." && pwd)/build}
declare -A BIN=([a]=${HOMEFSD:-$B/fs/homefsd})
[ -n "${HOMEFSD_B:-}" ] && BIN[b]=$HOMEFSD_B
RT=$B/bench/homefs-roundtrip
PARAM=/sys/module/fuse/parameters/enable_uring
[ "$(id -u)" -eq 0 ] || { echo "front-cpu.sh: run as root" >&2; exit 1; }

T=$(mktemp -d /var/tmp/homefs-cpu.XXXXXX)
IMG=$(mktemp /dev/shm/homefs-cpu.XXXXXX)
LOOP=
PID=
OLD_PARAM=
[ -w "$PARAM" ] && OLD_PARAM=$(cat "$PARAM")
stop() {
        [ -n "$PID" ] || return 0
        kill -TERM "$PID" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done
        PID=
}
cleanup() {
        set +e
        stop
        mountpoint -q "$T/mnt" 2>/dev/null && umount -l "$T/mnt"
        mountpoint -q "$T/ext4" 2>/dev/null && umount "$T/ext4"
        [ -n "$LOOP" ] && losetup -d "$LOOP"
        [ -n "$OLD_PARAM" ] && echo "$OLD_PARAM" >"$PARAM"
        rm -rf "$T" "$IMG"
}
trap cleanup EXIT
trap 'exit 1' INT TERM PIPE HUP  # else a timeout (SIGTERM) skips the cleanup
[ -n "$OLD_PARAM" ] && echo Y >"$PARAM"
truncate -s 2G "$IMG"
mkfs.ext4 -q -F "$IMG"
LOOP=$(losetup -f --show "$IMG")
mkdir "$T/ext4" "$T/mnt" "$T/src"
mount "$LOOP" "$T/ext4"
mkdir "$T/ext4/back"

# The tarball: N small files in 10 directories.
for d in $(seq 10); do
        mkdir "$T/src/d$d"
        for f in $(seq $((N / 10))); do echo "$d $f" >"$T/src/d$d/f$f"; done
done
tar -C "$T" -cf "$T/small.tar" src

start() {       # start BINARY
        # Other runs on the machine may have turned it off meanwhile.
        [ -n "$OLD_PARAM" ] && echo Y >"$PARAM"
        # shellcheck disable=SC2086
        "$1" --attach-dir="$T/ext4/back" --mountpoint="$T/mnt" --stats-file="$T/stats" ${HOMEFSD_ARGS:-} root \
                2>>"$T/log" &
        PID=$!
        for _ in $(seq 100); do
                [ "$(findmnt -n -o FSTYPE --mountpoint "$T/mnt" 2>/dev/null)" = fuse.homefs ] && break
                sleep 0.05
        done
        stat "$T/mnt" >/dev/null
}
cpu_ns() {      # homefsd's threads' run time so far
        cat /proc/"$PID"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d", s }'
}
requests() {    # homefsd's request counters, summed
        rm -f "$T/stats"; kill -s SIGRTMIN+1 "$PID"
        for _ in $(seq 200); do [ -s "$T/stats" ] && break; sleep 0.01; done
        awk '$1 !~ /^(passthrough|transport|uring_requests|inodes|cached_fds|open_passthrough)$/ { s += $2 } END { print s }' "$T/stats"
}
now_ns() { date +%s%N; }
# measure CFG CASE OPS COMMAND...: one line "CFG CASE requests/op
# µs-CPU/request µs-CPU/op µs-wall/op transport"
measure() {
        local cfg=$1 name=$2 ops=$3 c0 r0 c1 r1 t0 t1; shift 3
        r0=$(requests); c0=$(cpu_ns); t0=$(now_ns)
        "$@" >/dev/null
        t1=$(now_ns); c1=$(cpu_ns); r1=$(requests)
        case " ${CASES:-$name} " in *" $name "*) ;; *) return 0 ;; esac
        awk -v c="$cfg" -v n="$name" -v o="$ops" -v dc=$((c1 - c0)) -v dr=$((r1 - r0)) -v dt=$((t1 - t0)) \
                -v tr="$(awk '$1 == "transport" { print $2 }' "$T/stats")" \
                'BEGIN { printf "%s %s %.2f %.2f %.2f %.2f %s\n", c, n, dr / o, dc / 1000 / dr, dc / 1000 / o, dt / 1000 / o, tr }'
}
workload() {    # workload CFG: every case once, homefsd restarted where needed
        local cfg=$1 bin=${BIN[$1]}
        start "$bin"
        measure "$cfg" create "$N" "$RT" create "$T/mnt" "$N"
        stop; start "$bin"
        measure "$cfg" stat "$N" "$RT" stat "$T/mnt"
        measure "$cfg" unlink "$N" "$RT" unlink "$T/mnt"
        measure "$cfg" untar "$N" tar -C "$T/mnt" -xf "$T/small.tar"
        measure "$cfg" null 20000 "$RT" null "$T/mnt" 20000
        rm -rf "$T/mnt/src" "$T/mnt/null" "$T/mnt"/null*
        stop
}

for r in $(seq "$RUNS"); do
        for cfg in "${!BIN[@]}"; do workload "$cfg"; done
done >"$T/raw"
[ -n "${RAW:-}" ] && sed 's/^/# /' "$T/raw"
echo "# a = ${BIN[a]}${BIN[b]:+, b = ${BIN[b]:-}}"
echo "# N=$N, $RUNS runs, medians; load $(cut -d' ' -f1-3 /proc/loadavg); transports: $(awk '{ print $7 }' "$T/raw" | sort | uniq -c | xargs)"
awk '
function median(s,   n, i, j, t, a) {
        n = split(s, a, " ")
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ k = $2 " " $1; if (!(k in rq)) order[++n] = k; rq[k] = rq[k] " " $3; cr[k] = cr[k] " " $4; co[k] = co[k] " " $5; wa[k] = wa[k] " " $6 }
END {
        print "| case | build | requests per op | µs homefsd CPU per request | µs homefsd CPU per op | µs wall per op |"
        print "|---|---|---|---|---|---|"
        for (i = 1; i <= n; i++) { k = order[i]; split(k, p, " ")
                printf "| %s | %s | %.2f | %.2f | %.2f | %.2f |\n", p[1], p[2], median(rq[k]), median(cr[k]), median(co[k]), median(wa[k]) }
}' <(sort -s -k2,2 "$T/raw")

[ -n "$STRACE" ] || exit 0
# System calls per request, per case (strace slows homefsd down many times:
# counts only, no times).
echo
echo "| case | syscalls per request (strace -c -f) |"
echo "|---|---|"
traced() {      # traced CASE OPS COMMAND...
        local name=$1 r0 r1 sp; shift 2
        r0=$(requests)
        strace -c -f -q -o "$T/strace.$name" -p "$PID" & sp=$!
        sleep 1
        "$@" >/dev/null
        r1=$(requests)
        kill -INT $sp; wait $sp || true
        awk -v n="$name" -v dr=$((r1 - r0)) '
                $4 ~ /^[0-9]+$/ && $NF ~ /^[a-z_0-9]+$/ && $NF != "total" { s = s sprintf(" %s %.2f", $NF, $4 / dr) }
                END { printf "| %s |%s |\n", n, s }' "$T/strace.$name"
}
start "${BIN[a]}"
traced create "$N" "$RT" create "$T/mnt" "$N"
stop; start "${BIN[a]}"
traced stat "$N" "$RT" stat "$T/mnt"
traced unlink "$N" "$RT" unlink "$T/mnt"
traced untar "$N" tar -C "$T/mnt" -xf "$T/small.tar"
traced null 20000 "$RT" null "$T/mnt" 20000
stop
