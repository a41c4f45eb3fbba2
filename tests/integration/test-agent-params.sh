#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every parameter of every method, wrong: of another type, over its bound,
# with a NUL inside, missing where required. The agent's parameter tables
# (proto_dispatch) refuse each one with InvalidParameter naming it, before
# anything is done; root-only methods refuse other callers before reading
# any parameter; the agent keeps serving. No home is needed: nothing gets
# past the parameters.
. "$(dirname "$0")/lib.sh"
need_privileges
start_agent

"$PYTHON" - "$HOMEFS_RUNTIME_DIR/agent.sock" >"$T/results" <<'PY'
import json, os, socket, sys

sock = sys.argv[1]
USER = "hfparams"  # a valid name; the call never gets as far as looking it up

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.settimeout(10)
    return s

def call(s, method, params):
    s.sendall(json.dumps({"method": "io.homefs.Agent." + method, "parameters": params}).encode() + b"\0")
    data = b""
    while not data.endswith(b"\0"):
        chunk = s.recv(65536)
        if not chunk:
            return {"error": "closed"}
        data += chunk
    return json.loads(data.rstrip(b"\0"))

STR, BOOL, OBJ = "s", "b", "o"
NOT_STR = [5, True, [], {}]
NOT_BOOL = [1, "true", [], {}]
NOT_OBJ = ["x", 1, [], True]
NOT_U64 = ["1", -1, 1.5, True, [], {}]
def strings(bound):
    return NOT_STR + ["a\u0000b", "x" * (bound + 1)]

SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO4yNsr1k1EeFZ8Ix3KkdnG5JmJg3ic4fP/9DwhXgdxY"
KEY = {"publicKey": SSH_KEY, "salt": "AAAA", "signature": "AAAA"}

# method -> (valid parameters that come before, [(parameter, bad values)])
# Every row of the method's table: the valid ones make sure that the
# rejection is of the bad value (the tables are read in order).
cases = {
    "Create": ({"record": {}, "password": "x"}, [
        ("record", NOT_OBJ), ("password", strings(1024)),
        ("diskSizePercent", NOT_U64 + [101]), ("adoptImage", NOT_BOOL), ("allowOvercommit", NOT_BOOL)]),
    "Remove": ({"userName": USER}, [("force", NOT_BOOL)]),
    "Unlock": ({"userName": USER}, [
        ("password", strings(1024)), ("pin", strings(1024)), ("tokenUserPresence", NOT_BOOL),
        ("sshAgentSignature", NOT_OBJ + [{}, {"publicKey": SSH_KEY}, {"publicKey": SSH_KEY, "signature": "!!"},
                                          {"publicKey": "ssh-rsa x", "signature": "AAAA"},
                                          {"publicKey": SSH_KEY, "signature": 5}])]),
    "Activate": ({"userName": USER}, [("password", strings(1024)), ("tokenUserPresence", NOT_BOOL)]),
    "Passwd": ({"userName": USER, "password": "a", "newPassword": "b"}, [
        ("password", strings(1024)), ("newPassword", strings(1024))]),
    "Authenticate": ({"userName": USER, "password": "a"}, [("password", strings(1024))]),
    "Update": ({"userName": USER, "changes": {}}, [("changes", NOT_OBJ)]),
    "Resize": ({"userName": USER, "diskSize": "max"}, [
        ("diskSize", ["1", "maximum", "max\u0000", -1, 0, 18446744073709551615, 1.5, True, [], {}]),
        ("password", strings(1024)), ("allowOvercommit", NOT_BOOL)]),
    "AddCredentials": ({"userName": USER, "password": "a", "recoveryKey": True}, [
        ("password", strings(1024)), ("recoveryKey", NOT_BOOL), ("pkcs11TokenUri", strings(4096)),
        ("pin", strings(1024)), ("fido2Device", strings(4096)), ("fido2WithClientPin", NOT_BOOL),
        ("fido2WithUserPresence", NOT_BOOL), ("fido2WithUserVerification", NOT_BOOL),
        ("sshUnlockKeys", NOT_OBJ[:2] + [{}, [], [KEY] * 17, ["x"], [{"publicKey": SSH_KEY}],
                                         [dict(KEY, salt="A" * 65)]])]),
    "RemoveCredential": ({"userName": USER, "keyslot": 1}, [("keyslot", NOT_U64 + [1001])]),
    "AcquireSession": ({"userName": USER}, [("suspend", NOT_BOOL), ("password", strings(1024))]),
    "RegisterFront": ({"userName": USER, "homeDirectory": "/home/x"}, [("homeDirectory", strings(4096))]),
}
for m in ["Inspect", "Unlock", "Deactivate", "Lock", "ListQueue", "ClearQueue", "ListCredentials",
          "GetSshKeys", "GetSshUnlockChallenges", "Enqueue", "RegisterFront"]:
    base = {"argv": ["/bin/true"]} if m == "Enqueue" else {"homeDirectory": "/h"} if m == "RegisterFront" else {}
    cases.setdefault("userName:" + m, (dict(base, userName=USER), [
        ("userName", strings(64) + ["", "../etc", "Alice", "a:b"])]))

def verdict(reply, name):
    p = reply.get("parameters", {})
    return reply.get("error") == "io.homefs.Agent.InvalidParameter" and p.get("parameter") == name

s = connect()
for key, (valid, rows) in cases.items():
    method = key.split(":")[-1]
    for name, bads in rows:
        for bad in bads:
            reply = call(s, method, dict(valid, **{name: bad}))
            ok = verdict(reply, name)
            print("%d\t%s: %s=%s is InvalidParameter naming it%s" % (
                ok, method, name, json.dumps(bad)[:40], "" if ok else " (got %s)" % json.dumps(reply)[:200]))
    # Missing: every valid member but these is required.
    for name in valid:
        if name in ("recoveryKey", "argv") or (key.startswith("userName:") and name != "userName"):
            continue
        reply = call(s, method, {k: v for k, v in valid.items() if k != name})
        ok = verdict(reply, name) and "missing" in reply.get("parameters", {}).get("message", "")
        print("%d\t%s: %s missing is InvalidParameter saying so%s" % (
            ok, method, name, "" if ok else " (got %s)" % json.dumps(reply)[:200]))

# Root-only methods say PermissionDenied to anyone else whatever the
# parameters: authorisation comes before any of them is read.
pid = os.fork()
if pid == 0:
    os.setgroups([]); os.setgid(65534); os.setuid(65534)
    s = connect()
    for method, params in [("Remove", {"userName": USER, "force": "yes"}), ("Create", {"record": 5}),
                           ("Resize", {"diskSize": "huge"}), ("RemoveCredential", {"keyslot": -1}),
                           ("Update", {}), ("RegisterFront", {"homeDirectory": 5}), ("LockAll", {"x": 1})]:
        reply = call(s, method, params)
        ok = reply.get("error") == "io.homefs.Agent.PermissionDenied"
        print("%d\t%s as nobody with bad parameters: PermissionDenied%s" % (ok, method, "" if ok else " (got %s)" % reply))
    sys.stdout.flush()
    os._exit(0)
os.waitpid(pid, 0)
# The connection survived every refusal, and unknown parameters are ignored.
reply = call(s, "List", {"unknown": [1, {"x": None}]})
print("%d\tthe same connection still serves, unknown parameters ignored" % ("homes" in reply.get("parameters", {})))
PY
ok "the checks ran" test -s "$T/results"
while IFS=$'\t' read -r res what; do
        ok "$what" test "$res" = 1
done <"$T/results"
finish
