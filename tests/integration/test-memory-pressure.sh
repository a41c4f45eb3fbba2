#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Memory pressure (issue 10, point 9): a writer confined to a 160 MiB memory
# cgroup writes 2 GiB into an unlocked home through homefs-cryptdev; then an
# unconfined writer does the same while a hog leaves the whole machine short
# of page cache. No deadlock: each write finishes within its bound, and the
# data reads back correctly after a lock and unlock.
. "$(dirname "$0")/lib.sh"
need_privileges
CGV1=/sys/fs/cgroup/memory
if [ -f "$CGV1/memory.limit_in_bytes" ]; then
        CG=$CGV1/homefs-test-$$
        LIMIT_FILE=memory.limit_in_bytes
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
        CG=/sys/fs/cgroup/homefs-test-$$
        LIMIT_FILE=memory.max
else
        skip_all "no memory cgroup controller (v1 or v2) to confine the writer"
fi
command -v timeout >/dev/null || skip_all "timeout (coreutils) is missing"

HERE=$(dirname "$0")/helpers
MIB=${HOMEFS_PRESSURE_MIB:-2048}
WRITE_BOUND=120   # seconds; a deadlock never finishes
HEADROOM=${HOMEFS_PRESSURE_HEADROOM_MB:-3072}
CGROUPS=()
cg_cleanup() {
        local c p
        for c in "${CGROUPS[@]}"; do
                for p in $(cat "$c/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
                sleep 0.2
                rmdir "$c" 2>/dev/null
        done
}
trap 'cg_cleanup; cleanup' EXIT

start_agent
new_user_name U mp
H=$T/home/$U
ok "create a home with a 3 GiB sparse image" create_home "$U" pressure --disk-size=3G
ok "unlock" unlock_home "$U" pressure
[ "$tap_failed" -eq 0 ] || fail_now "cannot go on without an unlocked home"
run_as "$U" mkdir "$H/data"

# --- 1. the writer in a 160 MiB memory cgroup ---------------------------------------
mkdir "$CG"; CGROUPS+=("$CG")
echo $((160 << 20)) >"$CG/$LIMIT_FILE"
t0=$(date +%s%N)
timeout "$WRITE_BOUND" sh -c "echo \$\$ > '$CG/cgroup.procs' && exec setpriv --reuid='$U' --regid='$U' --clear-groups \
        /usr/bin/python3 '$HERE/big-writer.py' '$H/data/confined' $MIB"
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
diag "confined writer: $MIB MiB in $ms ms ($(( MIB * 1000 / (ms + 1) )) MiB/s), exit $rc"
ok "a writer in a 160 MiB cgroup writes $MIB MiB and fsyncs within ${WRITE_BOUND} s" test "$rc" -eq 0
if [ -f "$CG/memory.max_usage_in_bytes" ]; then
        diag "its cgroup peaked at $(( $(cat "$CG/memory.max_usage_in_bytes") >> 20 )) MiB, failcnt $(cat "$CG/memory.failcnt")"
fi
ok "cryptdev is not in the writer's cgroup" sh -c "! grep -qx \"\$(pgrep -f '^$CRYPTDEV .*$HOMEFS_RUNTIME_DIR/')\" '$CG/cgroup.procs'"

# read_back NAME: from the image (lock, unlock), then make room.
read_back() {
        local t0
        ok "$1: deactivate" "$CTL" deactivate "$U"
        ok "$1: unlock" unlock_home "$U" pressure
        t0=$(date +%s%N)
        ok "$1: the data reads back" run_as "$U" /usr/bin/python3 "$HERE/big-writer.py" --verify "$H/data/$1" "$MIB"
        diag "read back $MIB MiB in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
        rm -f "$H/data/$1"
}
read_back confined

# --- 2. the whole machine short of memory ---------------------------------------------
avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
hog=$(( avail - HEADROOM ))
HOGCG=$CG-hog
if [ "$hog" -gt 256 ]; then
        mkdir "$HOGCG"; CGROUPS+=("$HOGCG")
        echo $(( (hog + 256) << 20 )) >"$HOGCG/$LIMIT_FILE"
        sh -c "echo \$\$ > '$HOGCG/cgroup.procs' && exec /usr/bin/python3 '$HERE/hog.py' $hog '$T/hog.ready'" &
        HOG=$!
        t0=$(date +%s%N)
        wait_until 120 test -e "$T/hog.ready"
        diag "in $(( ($(date +%s%N) - t0) / 1000000 )) ms a hog took $hog MiB; MemAvailable now $(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo) MiB"
else
        diag "only $avail MiB available: no hog needed"
        HOG=
fi
t0=$(date +%s%N)
timeout "$WRITE_BOUND" setpriv --reuid="$U" --regid="$U" --clear-groups \
        /usr/bin/python3 "$HERE/big-writer.py" "$H/data/pressed" "$MIB"
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ -n "$HOG" ] && { kill -KILL "$HOG" 2>/dev/null; wait "$HOG" 2>/dev/null; }
diag "writer under machine-wide pressure: $MIB MiB in $ms ms ($(( MIB * 1000 / (ms + 1) )) MiB/s), exit $rc"
ok "with the machine short of page cache, $MIB MiB are written within ${WRITE_BOUND} s" test "$rc" -eq 0

read_back pressed
ok "no daemon died" sh -c "! grep -E 'died|did not answer' '$T/agent.log'"
ok "deactivate" "$CTL" deactivate "$U"
ok "remove" "$CTL" remove "$U"
finish
