#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Resource bounds of the agent: idle and slow clients are cut off, one user
# cannot hold more than its share of connections, garbage is cut off at the
# message limit, and none of it keeps other clients from being served.
. "$(dirname "$0")/lib.sh"
need_privileges

start_agent --idle-timeout=2

# The clients: one python script, its case in argv[2].
PROBE_PY=$(cat <<'PY'
import os, socket, sys, time
path, case = sys.argv[1], sys.argv[2]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s
def admitted(s):
    """A connection the agent serves answers a call."""
    try:
        s.settimeout(3)
        s.sendall(b'{"method":"io.homefs.Agent.List"}\0')
        return s.recv(65536).endswith(b"\0")
    except OSError:
        return False
def closed_within(s, seconds):
    s.settimeout(seconds)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True
def in_children(jobs, hold):
    """Run each (loginuid, uid or None, work) in a child process with that
    login uid and uid; work() returns a count. Each child then runs hold()
    before it exits. Prints the sum of the counts, then waits for them."""
    kids, total = [], 0
    for loginuid, uid, work in jobs:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            with open("/proc/self/loginuid", "w") as f:
                f.write(str(loginuid))
            if uid is not None:
                os.setgroups([]); os.setgid(uid); os.setuid(uid)
            os.write(w, b"%d\n" % work())
            hold()
            os._exit(0)
        os.close(w)
        total += int(os.read(r, 16) or b"0")
        os.close(r)
        kids.append(pid)
    print(total, flush=True)
    for pid in kids:
        os.waitpid(pid, 0)
def until_exists(path):
    def hold():
        while not os.path.exists(path):  # hold on until the test says so
            time.sleep(0.1)
    return hold
if case == "idle":
    s = conn(); t = time.monotonic()
    ok = closed_within(s, 6)
    took = time.monotonic() - t
    print("idle closed after %.1f s" % took)
    sys.exit(0 if ok and 1.5 <= took <= 5 else 1)
if case == "slow":
    s = conn(); t = time.monotonic(); s.sendall(b"{")
    try:
        for _ in range(20):
            time.sleep(0.5); s.sendall(b" ")
    except (BrokenPipeError, ConnectionResetError):
        pass
    took = time.monotonic() - t
    print("slow client cut off after %.1f s" % took)
    sys.exit(0 if took < 6 else 1)
if case == "greedy":
    # Connections of earlier clients may take a moment to be released.
    for attempt in range(10):
        held = [conn() for _ in range(16)]
        if all(admitted(h) for h in held):
            break
        [h.close() for h in held]
        time.sleep(0.5)
    else:
        print("could not get 16 connections served")
        sys.exit(1)
    extra = conn()
    refused = closed_within(extra, 1)
    still = admitted(held[0])
    print("17th connection refused: %s, the first still served: %s" % (refused, still))
    sys.exit(0 if refused and still else 1)
if case == "claim":
    # A process whose login uid is unset may set it to anyone's: take the
    # victim's and fill a budget of 16 with it.
    with open("/proc/self/loginuid", "w") as f:
        f.write(sys.argv[3])
    held = [conn() for _ in range(16)]
    print(sum(admitted(h) for h in held), flush=True)
    time.sleep(1.5)  # within the idle timeout
    sys.exit(0)
if case == "claim_many":
    # One uid, a child per claimed login uid, each trying 16 connections:
    # prints how many were served in all.
    base, logins = int(sys.argv[3]), int(sys.argv[4])
    def connections():
        global held
        held = [conn() for _ in range(16)]
        return sum(admitted(h) for h in held)
    in_children([(base + i, None, connections) for i in range(logins)],
                lambda: time.sleep(1.5))  # within the idle timeout
    sys.exit(0)
if case == "sessions":
    # One process per claimed login uid, each running as the home's owner,
    # each holding a session; prints how many the agent granted.
    owner, n, login_base, release, name = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7]
    def session():
        global held
        held = conn()
        held.settimeout(10)
        try:
            held.sendall(b'{"method":"io.homefs.Agent.AcquireSession","parameters":{"userName":"%s"}}\0' % name.encode())
            reply = b""
            while not reply.endswith(b"\0"):
                reply += held.recv(4096)
        except OSError:
            return 0
        return 0 if b'"error"' in reply else 1
    in_children([(login_base + i, owner, session) for i in range(n)], until_exists(release))
    sys.exit(0)
if case == "garbage":
    s = conn(); sent = 0
    try:
        while sent < 10 * 1024 * 1024:
            s.sendall(b"x" * 4096); sent += 4096
    except (BrokenPipeError, ConnectionResetError):
        pass
    print("garbage cut off after %d bytes" % sent)
    sys.exit(0 if sent < 1024 * 1024 else 1)
if case == "subuid":
    n_uids, tries, login_base, logins = map(int, sys.argv[3:7])
    release = sys.argv[7]
    def connections():
        global held
        held = []
        for _ in range(tries):
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(path)
            except OSError:
                continue
            held.append(s)
        return sum(admitted(s) for s in held)
    # subordinate-style uids, no passwd entry
    in_children([(login_base + login, 300000 + login * 1000 + i, connections)
                 for login in range(logins) for i in range(n_uids)], until_exists(release))
PY
)
probe() { # probe CASE: a python client as user nobody; prints what happened
        setpriv --reuid=nobody --regid=nogroup --clear-groups "$PYTHON" -c "$PROBE_PY" "$HOMEFS_RUNTIME_DIR/agent.sock" "$1"
}

ok "an idle client is closed after the idle timeout" probe idle
ok "a client trickling one message is cut off by the same deadline" probe slow
ok "garbage without end is cut off at the message limit" probe garbage

setpriv --reuid=nobody --regid=nogroup --clear-groups "$PYTHON" -c '
import socket, sys, time
s = [socket.socket(socket.AF_UNIX) for _ in range(16)]
[x.connect(sys.argv[1]) for x in s]
time.sleep(1.5)' "$HOMEFS_RUNTIME_DIR/agent.sock" &
hog=$!
sleep 0.3
ok "while one user holds its 16 connections, root is served" "$CTL" list
ok "and another user too" setpriv --reuid=daemon --regid=daemon --clear-groups "$CTL" list
wait $hog
ok "a user's 17th connection is refused, the 16 stay" probe greedy

# Claiming another's login uid (possible while one's own is unset) does not
# take their connections: nobody claims daemon's and holds 16 connections,
# daemon is still served.
setpriv --reuid=nobody --regid=nogroup --clear-groups "$PYTHON" -c "$PROBE_PY" "$HOMEFS_RUNTIME_DIR/agent.sock" \
        claim "$(id -u daemon)" >"$T/claimed" &
claimer=$!
wait_until 10 test -s "$T/claimed"
ok "the claimer got its 16 connections under daemon's login uid" test "$(cat "$T/claimed")" -eq 16
ok "daemon is still served while another user holds 16 connections under its login uid" \
        setpriv --reuid=daemon --regid=daemon --clear-groups "$CTL" list
wait $claimer
# Nor does claiming ever new login uids multiply one uid's budget (it would
# fill the global bound alone): nobody claims 17, gets 16 in all.
setpriv --reuid=nobody --regid=nogroup --clear-groups "$PYTHON" -c "$PROBE_PY" "$HOMEFS_RUNTIME_DIR/agent.sock" \
        claim_many 63000 17 >"$T/claimed-many" &
claimer=$!
wait_until 20 test -s "$T/claimed-many"
ok "one uid claiming 17 login uids gets 16 connections in all" test "$(cat "$T/claimed-many")" -eq 16
ok "meanwhile another user is served" setpriv --reuid=daemon --regid=daemon --clear-groups "$CTL" list
wait $claimer

# Sessions count against the owner's uid, not a claimed login uid: a user
# whose login uid is unset claims a new one per process and asks for 266
# sessions on their home; 256 are granted, and other users are still served
# (before, each claimed login uid took a slot of its own and filled them all).
new_user_name U bd
ok "create a home" create_home "$U" pw-bounds
ok "activate it" unlock_home "$U" pw-bounds
"$PYTHON" -c "$PROBE_PY" "$HOMEFS_RUNTIME_DIR/agent.sock" sessions "$(id -u "$U")" 266 62000 "$T/release0" "$U" \
        >"$T/sessions.out" &
probe_pid=$!
wait_until 60 test -s "$T/sessions.out"
ok "266 sessions under 266 claimed login uids: 256 granted" test "$(cat "$T/sessions.out")" -eq 256
ok "meanwhile another user is served" setpriv --reuid=daemon --regid=daemon --clear-groups "$CTL" list
ok "and the owner too" run_as "$U" "$CTL" list
touch "$T/release0"; wait "$probe_pid"
inactive() { test "$(home_state "$U")" = inactive; }
ok "the sessions' end deactivates the home" wait_until 30 inactive
ok "the agent still answers" "$CTL" list

# Subordinate uids do not multiply the bound: connections count against the
# login uid of the caller's session. One "login" (loginuid 60777) runs four
# uids that each try 16 connections; at most 16 are served in all, while
# another login's user, and root, still are. Then 17 logins fill the global
# bound: root is still served (its reserve) and can deactivate.
subuid_probe() { # subuid_probe N_UIDS TRIES_PER_UID LOGINUID_BASE LOGINS RELEASE_FILE (as root)
        "$PYTHON" -c "$PROBE_PY" "$HOMEFS_RUNTIME_DIR/agent.sock" subuid "$@"
}
subuid_probe 4 16 60777 1 "$T/release1" >"$T/subuid.out" &
probe_pid=$!
wait_until 30 test -s "$T/subuid.out"
ok "4 uids of one login get 16 connections in all, not 64" test "$(cat "$T/subuid.out")" -eq 16
ok "meanwhile another user is served" setpriv --reuid=daemon --regid=daemon --clear-groups "$CTL" list
ok "and root" "$CTL" list
touch "$T/release1"; wait "$probe_pid"
subuid_probe 1 16 61000 17 "$T/release2" >"$T/global.out" &
probe_pid=$!
wait_until 60 test -s "$T/global.out"
ok "17 logins × 16 connections: the global bound (256) holds" test "$(cat "$T/global.out")" -eq 256
ok "root is served with the global bound full (its reserve)" "$CTL" list
ok "and can deactivate (deactivate-all)" "$CTL" deactivate-all
touch "$T/release2"; wait "$probe_pid"
finish
