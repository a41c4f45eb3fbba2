#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The agent serves several clients at once, transitions of different homes run
# in parallel, and hostile input on the socket neither stops nor confuses it.
. "$(dirname "$0")/lib.sh"
need_privileges

start_agent
new_user_name A a
new_user_name B b
ok "create home A" create_home "$A" pw-a
ok "create home B" create_home "$B" pw-b

unlock_home "$A" pw-a >"$T/ua.out" 2>&1 & pa=$!
unlock_home "$B" pw-b >"$T/ub.out" 2>&1 & pb=$!
ok "A and B unlock in parallel: A" wait $pa
ok "A and B unlock in parallel: B" wait $pb
ok "both are unlocked" test "$(home_state "$A") $(home_state "$B")" = "unlocked unlocked"

many_lists() {
        local i pids=()
        for i in $(seq 20); do "$CTL" list --json=short >"$T/list.$i" 2>&1 & pids+=($!); done
        for i in "${pids[@]}"; do wait "$i" || return 1; done
        for i in $(seq 20); do grep -q "$A" "$T/list.$i" || return 1; done
}
ok "20 clients listing at once all get answers" many_lists

# Hostile clients: garbage, an unterminated oversized message, a call with an
# fd attached, a half message then hang-up, unknown methods, wrong types.
hostile() {
        python3 - "$HOMEFS_RUNTIME_DIR/agent.sock" <<'PY'
import os, socket, sys
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(5)
    return s
def reply(s):
    data = b""
    while not data.endswith(b"\0"):
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            return None
        if not chunk:
            return None
        data += chunk
    return data[:-1].decode()
# 1. not JSON: the agent closes the connection
s = conn(); s.sendall(b"hello\0"); assert reply(s) is None, "garbage answered"
# 2. oversized without terminator: closed, not hung
s = conn()
try:
    s.sendall(b"{" + b" " * 70000)
except (BrokenPipeError, ConnectionResetError):
    pass
assert reply(s) is None, "oversize answered"
# 3. an fd where none belongs: closed
s = conn()
s.sendmsg([b'{"method":"io.homefs.Agent.List"}\0'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(os.open("/dev/null", os.O_RDONLY).to_bytes(4, "little")))])
assert reply(s) is None, "fd accepted"
# 4. half a message, then hang up
s = conn(); s.sendall(b'{"method":"io.homefs.Agent.Lis'); s.close()
# 5. unknown method, bad parameter types, overlong user name: typed errors
s = conn()
s.sendall(b'{"method":"io.homefs.Agent.Nope"}\0'); r = reply(s); assert "MethodNotFound" in r, r
s.sendall(b'{"method":"io.homefs.Agent.Inspect","parameters":{"userName":5}}\0'); r = reply(s); assert "InvalidParameter" in r, r
s.sendall(b'{"method":"io.homefs.Agent.Inspect","parameters":{"userName":"' + b"a" * 200 + b'"}}\0'); r = reply(s); assert "InvalidParameter" in r, r
s.sendall(b'{"method":"io.homefs.Agent.Unlock","parameters":{"userName":"../../etc"}}\0'); r = reply(s); assert "InvalidParameter" in r, r
s.sendall(b'{"method":"io.homefs.Agent.Unlock","parameters":{"userName":"x","password":"' + b"p" * 5000 + b'"}}\0'); r = reply(s); assert "InvalidParameter" in r, r
print("hostile clients handled")
PY
}
ok "hostile clients get closed connections or typed errors" hostile
ok "the agent still answers afterwards" "$CTL" list
ok "and the homes are still unlocked" test "$(home_state "$A") $(home_state "$B")" = "unlocked unlocked"

"$CTL" lock "$A" >"$T/la.out" 2>&1 & pa=$!
"$CTL" lock "$B" >"$T/lb.out" 2>&1 & pb=$!
ok "A and B lock in parallel: A" wait $pa
ok "A and B lock in parallel: B" wait $pb
ok "both are locked" test "$(home_state "$A") $(home_state "$B")" = "locked locked"
ok "remove A" "$CTL" remove "$A"
ok "remove B" "$CTL" remove "$B"
finish
