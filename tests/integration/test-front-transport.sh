#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# How FUSE requests reach homefsd: through FUSE over io_uring where the
# kernel offers it (the fuse module parameter enable_uring), else through
# /dev/fuse. homefsd's counters (--stats-file, SIGRTMIN+1) and log say which
# transport it uses and how many requests came through io_uring. Checks:
# io_uring in use when enabled, also with kernel passthrough (OPEN replies
# through a ring carry the backing id: no READ/WRITE reaches homefsd); the
# fallback when the parameter is off; --no-io-uring with the parameter on
# (the /dev/fuse path of a daemon that does not ask is unchanged); a
# connection keeps io_uring when the parameter is turned off; many callers
# on both CPUs at once; an unmount from outside ends homefsd; the agent
# turns the parameter on (and leaves it alone with --no-fuse-io-uring).
# The parameter is restored to its value before the test at exit.

. "$(dirname "$0")/lib.sh"
need_privileges
PARAM=/sys/module/fuse/parameters/enable_uring
[ -e "$PARAM" ] || skip_all "the kernel has no FUSE over io_uring ($PARAM)"
PARAM_OLD=$(cat "$PARAM")
on_cleanup "echo $PARAM_OLD >$PARAM"
set_param() { echo "$1" >"$PARAM" || fail_now "cannot write $PARAM"; }

new_user_name U tr
useradd --system --no-create-home --shell /usr/sbin/nologin "$U" || fail_now "useradd"
mkdir -p "$T/back"
chown "$U:" "$T/back"

# start_front NAME [OPTIONS]: homefsd over $T/back at $T/NAME; sets FRONT_PID.
start_front() {
        local name=$1; shift
        mkdir -p "$T/$name"
        "$HOMEFSD" --attach-dir="$T/back" --mountpoint="$T/$name" --stats-file="$T/$name.stats" "$@" "$U" \
                2>"$T/$name.log" &
        FRONT_PID=$!
        for _ in $(seq 100); do
                [ "$(findmnt -n -o FSTYPE --mountpoint "$T/$name" 2>/dev/null)" = fuse.homefs ] && return 0
                sleep 0.05
        done
        fail_now "homefsd did not mount $T/$name"
}
stop_front() {
        kill -TERM "$1"
        for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
        wait "$1" 2>/dev/null
}
# stats PID NAME: homefsd's counters as "key value" lines.
stats() {
        rm -f "$T/$2.stats"
        kill -s SIGRTMIN+1 "$1"
        for _ in $(seq 100); do [ -s "$T/$2.stats" ] && break; sleep 0.02; done
        cat "$T/$2.stats"
}
counter() { stats "$1" "$2" | awk -v k="$3" '$1 == k { print $2 }'; }
# work DIR: create, write, read, list, rename, remove; prints "ok" if all worked.
work() {
        local d=$1/w$RANDOM
        mkdir "$d" && echo hello >"$d/a" && test "$(cat "$d/a")" = hello &&
                mv "$d/a" "$d/b" && test "$(ls "$d")" = b && rm "$d/b" && rmdir "$d" && echo ok
}

# ---- enabled: io_uring ----
set_param Y
start_front on
P=$FRONT_PID
ok "enabled: file operations work" test "$(work "$T/on")" = ok
dd if=/dev/urandom of="$T/data" bs=1M count=8 status=none
cp "$T/data" "$T/on/big"
ok "enabled: data written and read back through passthrough opens" cmp "$T/data" "$T/on/big"
S=$(stats $P on)
diag "$S"
val() { awk -v k="$1" '$1 == k { print $2 }' <<<"$S"; }
ok "enabled: homefsd's transport is io_uring" test "$(val transport)" = io_uring
ok "enabled: the requests came through io_uring" test "$(val uring_requests)" -gt 10
ok "enabled: homefsd's log says io_uring" grep -q "serving FUSE requests through io_uring: $(nproc --all) queues" "$T/on.log"
ok "enabled: opens through io_uring are passthrough opens" test "$(val open_passthrough)" -ge 2
ok "enabled: with passthrough no READ or WRITE reached homefsd" test "$(val read) $(val write)" = "0 0"

# Callers on every CPU at once: each queue serves its own CPU's requests.
parallel_work() {
        local cpu k pids=() bad=0
        for cpu in $(seq 0 $(($(nproc) - 1))); do
                for k in 1 2; do
                        taskset -c "$cpu" sh -c '
                                d=$1/p$2; mkdir "$d" || exit 1
                                for i in $(seq 200); do echo "$i" >"$d/$i"; done
                                for i in $(seq 200); do [ "$(cat "$d/$i")" = "$i" ] || exit 1; done
                                rm -r "$d"' sh "$1" "$cpu$k" &
                        pids+=($!)
                done
        done
        for k in "${pids[@]}"; do wait "$k" || bad=1; done
        return $bad
}
ok "enabled: two callers on each CPU at once, all correct" parallel_work "$T/on"

# Turning the parameter off does not take io_uring from a connection that has it.
set_param N
before=$(counter $P on uring_requests)
ok "parameter turned off: the io_uring connection still works" test "$(work "$T/on")" = ok
ok "parameter turned off: and still through io_uring" test "$(counter $P on uring_requests)" -gt "$before"

# ---- parameter off: /dev/fuse ----
start_front off
Q=$FRONT_PID
ok "parameter off: file operations work" test "$(work "$T/off")" = ok
ok "parameter off: homefsd falls back to /dev/fuse" test "$(counter $Q off transport) $(counter $Q off uring_requests)" = "/dev/fuse 0"
ok "parameter off: homefsd's log says why" grep -q "enable_uring is off" "$T/off.log"
stop_front $Q

# ---- --no-io-uring with the parameter on: the /dev/fuse path as before ----
set_param Y
start_front dev --no-io-uring
Q=$FRONT_PID
ok "--no-io-uring, parameter on: file operations work" test "$(work "$T/dev")" = ok
ok "--no-io-uring, parameter on: cp and cmp through passthrough" sh -c "cp '$T/data' '$T/dev/big2' && cmp '$T/data' '$T/dev/big2'"
ok "--no-io-uring, parameter on: /dev/fuse only" test "$(counter $Q dev transport) $(counter $Q dev uring_requests)" = "/dev/fuse 0"
ok "--no-io-uring, parameter on: nothing about io_uring in the log" sh -c "! grep -q io_uring '$T/dev.log'"
stop_front $Q

# ---- local wake-ups (fs/wake-local.c): a queue thread commits at idle
# priority, which keeps its caller on its CPU, only while its callers hop
# between CPUs and nothing else on the machine runs; CPU-bound work beside
# homefsd must never find a queue thread at idle priority, where it would
# wait behind that work. hop FILE: one caller that moves itself to the
# next CPU before each request (a GETXATTR, which the kernel never caches).
hop() {
        "$PYTHON" - "$1" <<'PY'
import os, sys
n = os.cpu_count()
for i in range(3000):
    os.sched_setaffinity(0, {i % n})
    try:
        os.getxattr(sys.argv[1], "user.homefs-test")
    except OSError:
        pass
PY
}
echo x >"$T/on/hop"
S=$(stats $P on)
ok "local wake-ups: every queue thread can use them" test "$(val local_wake_threads)" = "$(nproc --all)"
hops0=$(val local_wake_hops); idle0=$(val local_wakes); busy0=$(val local_wakes_busy)
hop "$T/on/hop"
S=$(stats $P on)
ok "a caller that hops CPUs: homefsd sees the hops" test "$(val local_wake_hops)" -gt $((hops0 + 1000))
diag "quiet: $(( $(val local_wakes) - idle0 )) commits at idle priority, $(( $(val local_wakes_busy) - busy0 )) at normal (other tasks ran)"
HOGS=()
for _ in $(seq $(($(nproc) + 1))); do sh -c 'while :; do :; done' & HOGS+=($!); done
on_cleanup "kill ${HOGS[*]}"
sleep 0.5
S=$(stats $P on); idle0=$(val local_wakes); busy0=$(val local_wakes_busy)
hop "$T/on/hop"
ok "CPU-bound tasks on every CPU: file operations work" test "$(work "$T/on")" = ok
ok "CPU-bound tasks on every CPU: cp and cmp" sh -c "cp '$T/data' '$T/on/big3' && cmp '$T/data' '$T/on/big3'"
S=$(stats $P on)
kill "${HOGS[@]}"; wait "${HOGS[@]}" 2>/dev/null
diag "busy: $(( $(val local_wakes) - idle0 )) commits at idle priority, $(( $(val local_wakes_busy) - busy0 )) at normal"
ok "CPU-bound tasks on every CPU: no commit at idle priority" test "$(val local_wakes)" = "$idle0"
ok "CPU-bound tasks on every CPU: the hopping caller's commits saw them" test "$(val local_wakes_busy)" -gt "$busy0"
start_front nl --no-local-wake
Q=$FRONT_PID
ok "--no-local-wake: file operations work" test "$(work "$T/nl")" = ok
echo x >"$T/nl/hop"
hop "$T/nl/hop"
S=$(stats $Q nl)
ok "--no-local-wake: no queue thread uses them, no commit at idle priority" \
        test "$(val local_wake_threads) $(val local_wakes)" = "0 0"
stop_front $Q

# ---- an unmount from outside ends homefsd (the rings are torn down) ----
umount "$T/on"
for _ in $(seq 100); do kill -0 $P 2>/dev/null || break; sleep 0.05; done
ok "unmounted from outside: homefsd with io_uring exits" sh -c "! kill -0 $P 2>/dev/null"
wait $P 2>/dev/null

# ---- the agent turns the parameter on, unless told not to ----
set_param N
start_agent --no-fuse-io-uring
stop_agent
ok "agent --no-fuse-io-uring: the parameter stays off" test "$(cat "$PARAM")" = N
start_agent
ok "agent: turns the parameter on" test "$(cat "$PARAM")" = Y
ok "agent: and says so in its log" grep -q "turned on FUSE over io_uring" "$T/agent.log"
finish
