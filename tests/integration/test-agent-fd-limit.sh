#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The agent at its open-file limit: connections it holds take every free
# descriptor, a user's connections wait in the listen backlog, and accept()
# fails with EMFILE. The agent must neither spin (root at 100 % CPU) nor
# write a log line per retry, and must serve again once descriptors free up.
. "$(dirname "$0")/lib.sh"
need_privileges

start_agent

# HOLD_PY N READY RELEASE: hold N connections to the agent (a connect()
# succeeds as soon as the connection is in the backlog), write READY, and
# keep them until RELEASE exists.
HOLD_PY=$(cat <<'PY'
import os, socket, sys, time
path, n, ready, release = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
held = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    held.append(s)
open(ready, "w").close()
while not os.path.exists(release):
    time.sleep(0.05)
PY
)
mkdir -m 1777 "$T/hold" # the user's holder writes its READY here
hold() { # hold N TAG [setpriv args...]: background holder; its pid in $HOLDER
        local n=$1 tag=$2; shift 2
        "$@" "$PYTHON" -c "$HOLD_PY" "$HOMEFS_RUNTIME_DIR/agent.sock" "$n" "$T/hold/ready.$tag" "$T/hold/release.$tag" &
        HOLDER=$!
        on_cleanup "kill -KILL $HOLDER"
}

open_fds() { find "/proc/$AGENT_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
highest_fd() { find "/proc/$AGENT_PID/fd" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | tail -1; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$AGENT_PID/stat"; } # utime + stime
log_lines() { wc -l <"$T/agent.log"; }

# Four descriptors free below the soft limit (the hard limit stays).
old_soft=$(prlimit --pid "$AGENT_PID" --nofile --output SOFT --noheadings)
limit=$(( $(highest_fd) + 5 ))
ok "lower the agent's open-file limit to $limit" prlimit --pid "$AGENT_PID" --nofile="$limit:"
base=$(open_fds)

# Root's connections are never refused (clients.h): four of them fill the
# free descriptors. Then a user's connections wait in the backlog.
hold $(( limit - $(open_fds) )) root
root_holder=$HOLDER
at_limit() { [ "$(open_fds)" -ge "$limit" ]; }
ok "the agent's descriptors are all taken" wait_until 10 at_limit
hold 4 user setpriv --reuid=nobody --regid=nogroup --clear-groups
user_holder=$HOLDER
ok "a user's connections wait in the backlog" wait_until 10 test -e "$T/hold/ready.user"
sleep 0.2 # the first failed accept

ticks0=$(cpu_ticks) lines0=$(log_lines) t0=$(date +%s%N)
sleep 2
ticks1=$(cpu_ticks) lines1=$(log_lines) t1=$(date +%s%N)
hz=$(getconf CLK_TCK)
cpu_ms=$(( (ticks1 - ticks0) * 1000 / hz )) wall_ms=$(( (t1 - t0) / 1000000 ))
diag "at the limit: ${cpu_ms} ms of CPU in ${wall_ms} ms, $((lines1 - lines0)) log lines"
ok "the agent does not spin at its fd limit (${cpu_ms} ms CPU in ${wall_ms} ms, < 300)" test "$cpu_ms" -lt 300
ok "nor floods its log ($((lines1 - lines0)) lines in 2 s)" test $((lines1 - lines0)) -le 3
ok "it says which limit was reached" grep -q 'open-file limit' "$T/agent.log"

# Descriptors free up: the agent serves again, still under the low limit.
touch "$T/hold/release.user"
wait "$user_holder"
touch "$T/hold/release.root"
wait "$root_holder"
ok "once connections close, a request is answered again" "$CTL" list
ok "and the agent says it accepts again" grep -q 'accepting connections on the agent socket again' "$T/agent.log"

# A user's connection that takes the last free descriptor cannot be
# identified (its pidfd needs one more): it is closed, and the log says
# why, not that the client went away.
settled() { [ "$(open_fds)" -le "$base" ]; }
ok "the released connections are closed" wait_until 10 settled
hold $(( limit - 1 - $(open_fds) )) root2
one_free() { [ "$(open_fds)" -ge $((limit - 1)) ]; }
ok "all descriptors but one are taken" wait_until 10 one_free
closed_py='
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(5)
sys.exit(0 if s.recv(1) == b"" else 1)'
ok "a user's connection on the last descriptor is closed" \
        setpriv --reuid=nobody --regid=nogroup --clear-groups "$PYTHON" -c "$closed_py" "$HOMEFS_RUNTIME_DIR/agent.sock"
ok "the log says the agent could not identify it: Too many open files" \
        grep -q 'refusing a connection from uid [0-9]*: cannot identify its process: Too many open files' "$T/agent.log"
touch "$T/hold/release.root2"
wait "$HOLDER"
ok "the agent answers again" "$CTL" list
prlimit --pid "$AGENT_PID" --nofile="$old_soft:"
# A spinning agent writes a million lines: keep the log printed on failure
# readable (the agent appends, so it writes on at the new end).
if [ "$(log_lines)" -gt 1000 ]; then
        { head -n 50 "$T/agent.log"; echo "[...]"; tail -n 50 "$T/agent.log"; } >"$T/agent.log.short"
        cat "$T/agent.log.short" >"$T/agent.log"
fi
finish
