#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The authorization matrix: every agent method x every kind of caller, with the
# expected verdict. Run by test-authorization-matrix.sh as root with:
#   authz-matrix.py SOCKET PROTOCOL_MD HOME_A UID_A PW_A UID_B NEW_USER
# Prints TAP. A verdict is "deny" when the agent answers PermissionDenied or
# BadCredentials, "allow" otherwise (the call went through authorization).
import json, os, re, socket, sys

sock, protocol_md, home_a, uid_a, pw_a, uid_b, new_user = sys.argv[1:8]
uid_a, uid_b = int(uid_a), int(uid_b)
NOBODY = 65534

def call_as(uid, method, params):
    """Make one call as uid (in a child process); return the reply object."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            if uid != 0:
                os.setgroups([])
                os.setgid(uid if uid != NOBODY else NOBODY)
                os.setuid(uid)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sock)
            s.sendall(json.dumps({"method": "io.homefs.Agent." + method, "parameters": params}).encode() + b"\0")
            data = b""
            while not data.endswith(b"\0"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            os.write(w, data.rstrip(b"\0") or b'{"error":"closed"}')
        except Exception as e:
            os.write(w, json.dumps({"error": "client: %s" % e}).encode())
        os._exit(0)
    os.close(w)
    out = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    return json.loads(out)

def verdict(reply):
    err = reply.get("error", "")
    return "deny" if err.endswith("PermissionDenied") or err.endswith("BadCredentials") else "allow"

rec = {"userName": new_user, "homeDirectory": home_a + "-x", "imagePath": home_a + "-x.home",
       "diskSize": 67108864, "luksPbkdfType": "pbkdf2", "luksPbkdfForceIterations": 1000}
A = os.path.basename(home_a)

# Resize grows A's image by 64 MiB (sparse; no password needed to grow).
grown = call_as(0, "Inspect", {"userName": A}).get("parameters", {}).get("diskSize", 268435456) + 64 * 1024 * 1024

# method -> [(caller, uid, params, expected)], in an order that keeps the
# state sensible (unlock before lock, remove last).
callers = {"root": 0, "owner": uid_a, "other": uid_b, "nobody": NOBODY}
matrix = [
    ("List", "root", {}, "allow"), ("List", "owner", {}, "allow"),
    ("List", "other", {}, "allow"), ("List", "nobody", {}, "allow"),
    ("Inspect", "root", {"userName": A}, "allow"), ("Inspect", "owner", {"userName": A}, "allow"),
    ("Inspect", "other", {"userName": A}, "deny"), ("Inspect", "nobody", {"userName": A}, "deny"),
    ("Unlock", "owner-unauthenticated", {"userName": A, "password": "wrong"}, "deny"),
    ("Unlock", "other", {"userName": A, "password": pw_a}, "deny"),
    ("Unlock", "nobody", {"userName": A, "password": pw_a}, "deny"),
    ("Unlock", "owner", {"userName": A, "password": pw_a}, "allow"),
    ("Unlock", "root", {"userName": A, "password": pw_a}, "allow"),
    ("Unlock", "root-unauthenticated", {"userName": A, "password": "wrong"}, "deny"),
    ("Lock", "other", {"userName": A}, "deny"), ("Lock", "nobody", {"userName": A}, "deny"),
    ("Lock", "owner", {"userName": A}, "allow"), ("Lock", "root", {"userName": A}, "allow"),
    ("Passwd", "owner-unauthenticated", {"userName": A, "password": "wrong", "newPassword": "x1"}, "deny"),
    ("Passwd", "other", {"userName": A, "password": pw_a, "newPassword": "x1"}, "deny"),
    ("Passwd", "nobody", {"userName": A, "password": pw_a, "newPassword": "x1"}, "deny"),
    ("Passwd", "owner", {"userName": A, "password": pw_a, "newPassword": pw_a + "2"}, "allow"),
    ("Passwd", "root", {"userName": A, "password": pw_a + "2", "newPassword": pw_a}, "allow"),
    ("Authenticate", "owner-unauthenticated", {"userName": A, "password": "wrong"}, "deny"),
    ("Authenticate", "other", {"userName": A, "password": pw_a}, "deny"),
    ("Authenticate", "nobody", {"userName": A, "password": pw_a}, "deny"),
    ("Authenticate", "owner", {"userName": A, "password": pw_a}, "allow"),
    ("Authenticate", "root", {"userName": A, "password": pw_a}, "allow"),
    ("Update", "owner", {"userName": A, "changes": {"realName": "Matrix"}}, "deny"),
    ("Update", "other", {"userName": A, "changes": {"realName": "Matrix"}}, "deny"),
    ("Update", "nobody", {"userName": A, "changes": {"realName": "Matrix"}}, "deny"),
    ("Update", "root", {"userName": A, "changes": {"realName": "Matrix"}}, "allow"),
    ("Resize", "owner", {"userName": A, "diskSize": grown}, "deny"),
    ("Resize", "other", {"userName": A, "diskSize": grown}, "deny"),
    ("Resize", "nobody", {"userName": A, "diskSize": grown}, "deny"),
    ("Resize", "root", {"userName": A, "diskSize": grown}, "allow"),
    ("Enqueue", "other", {"userName": A, "argv": ["true"]}, "deny"),
    ("Enqueue", "nobody", {"userName": A, "argv": ["true"]}, "deny"),
    ("Enqueue", "owner", {"userName": A, "argv": ["true"]}, "allow"),
    ("Enqueue", "root", {"userName": A, "argv": ["true"]}, "allow"),
    ("ListQueue", "other", {"userName": A}, "deny"), ("ListQueue", "nobody", {"userName": A}, "deny"),
    ("ListQueue", "owner", {"userName": A}, "allow"), ("ListQueue", "root", {"userName": A}, "allow"),
    ("ClearQueue", "other", {"userName": A}, "deny"), ("ClearQueue", "nobody", {"userName": A}, "deny"),
    ("ClearQueue", "owner", {"userName": A}, "allow"), ("ClearQueue", "root", {"userName": A}, "allow"),
    ("ListSecurityTokens", "root", {}, "allow"), ("ListSecurityTokens", "owner", {}, "allow"),
    ("ListSecurityTokens", "other", {}, "allow"), ("ListSecurityTokens", "nobody", {}, "allow"),
    ("ListCredentials", "other", {"userName": A}, "deny"), ("ListCredentials", "nobody", {"userName": A}, "deny"),
    ("ListCredentials", "owner", {"userName": A}, "allow"), ("ListCredentials", "root", {"userName": A}, "allow"),
    ("AddCredentials", "owner-unauthenticated", {"userName": A, "password": "wrong", "recoveryKey": True}, "deny"),
    ("AddCredentials", "other", {"userName": A, "password": pw_a, "recoveryKey": True}, "deny"),
    ("AddCredentials", "nobody", {"userName": A, "password": pw_a, "recoveryKey": True}, "deny"),
    ("AddCredentials", "owner", {"userName": A, "password": pw_a,
                                 "pkcs11TokenUri": "pkcs11:token=x?module-path=/tmp/x.so"}, "deny"),
    ("AddCredentials", "owner", {"userName": A, "password": pw_a, "fido2Device": "unix:/tmp/elsewhere"}, "deny"),
    ("AddCredentials", "owner", {"userName": A, "password": pw_a, "recoveryKey": True}, "allow"),
    ("AddCredentials", "root", {"userName": A, "password": pw_a, "recoveryKey": True}, "allow"),
    ("RemoveCredential", "owner", {"userName": A, "keyslot": 2}, "deny"),
    ("RemoveCredential", "other", {"userName": A, "keyslot": 2}, "deny"),
    ("RemoveCredential", "nobody", {"userName": A, "keyslot": 2}, "deny"),
    ("RemoveCredential", "root", {"userName": A, "keyslot": 2}, "allow"),
    ("RegisterFront", "owner", {"userName": A, "homeDirectory": home_a}, "deny"),
    ("RegisterFront", "other", {"userName": A, "homeDirectory": home_a}, "deny"),
    ("RegisterFront", "nobody", {"userName": A, "homeDirectory": home_a}, "deny"),
    # Public keys: anyone. Sessions: the owner and root; the connection ends
    # with the call, which ends the session and locks A again.
    ("GetSshKeys", "root", {"userName": A}, "allow"), ("GetSshKeys", "owner", {"userName": A}, "allow"),
    ("GetSshKeys", "other", {"userName": A}, "allow"), ("GetSshKeys", "nobody", {"userName": A}, "allow"),
    # SSH unlock challenges: the owner and root only (not even whether A exists).
    ("GetSshUnlockChallenges", "root", {"userName": A}, "allow"),
    ("GetSshUnlockChallenges", "owner", {"userName": A}, "allow"),
    ("GetSshUnlockChallenges", "other", {"userName": A}, "deny"),
    ("GetSshUnlockChallenges", "nobody", {"userName": A}, "deny"),
    ("GetSshUnlockChallenges", "nobody", {"userName": "nosuchuser"}, "deny"),
    ("AcquireSession", "owner-unauthenticated", {"userName": A, "password": "wrong"}, "deny"),
    ("AcquireSession", "other", {"userName": A, "password": pw_a}, "deny"),
    ("AcquireSession", "nobody", {"userName": A, "password": pw_a}, "deny"),
    ("AcquireSession", "owner", {"userName": A, "password": pw_a}, "allow"),
    ("AcquireSession", "root", {"userName": A, "password": pw_a}, "allow"),
    # Only the connection that holds a session can release it.
    ("ReleaseSession", "root", {}, "deny"), ("ReleaseSession", "owner", {}, "deny"),
    ("ReleaseSession", "other", {}, "deny"), ("ReleaseSession", "nobody", {}, "deny"),
    ("Create", "owner", {"record": rec, "password": "pw"}, "deny"),
    ("Create", "other", {"record": rec, "password": "pw"}, "deny"),
    ("Create", "nobody", {"record": rec, "password": "pw"}, "deny"),
    ("Create", "root", {"record": rec, "password": "pw"}, "allow"),
    ("Remove", "owner", {"userName": new_user}, "deny"),
    ("Remove", "other", {"userName": new_user}, "deny"),
    ("Remove", "nobody", {"userName": new_user}, "deny"),
    ("Remove", "owner", {"userName": A}, "deny"),
    ("Remove", "root", {"userName": new_user}, "allow"),
]

# Every method the protocol documents must be in the matrix.
doc = open(protocol_md).read()
section = doc.split("## Methods", 1)[1].split("\n## ", 1)[0]
documented = set(re.findall(r"^\| `(\w+)` \|", section, re.M))
covered = {m for m, *_ in matrix}

n = 0
unexpected_allows = unexpected_denies = 0
def ok(cond, what):
    global n
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, what))
    sys.stdout.flush()

missing = sorted(documented - covered)
ok(documented and not missing, "every documented method is in the matrix" +
   (" (missing: %s)" % ", ".join(missing) if missing else ""))
for method, caller, params, expected in matrix:
    uid = callers[caller.split("-")[0]]
    reply = call_as(uid, method, params)
    got = verdict(reply)
    if got == "allow" and expected == "deny":
        unexpected_allows += 1
    if got == "deny" and expected == "allow":
        unexpected_denies += 1
    ok(got == expected, "%s as %s: %s (%s)" % (method, caller, expected,
                                              reply.get("error", "no error")))
ok(unexpected_allows == 0, "0 unexpected allows (%d)" % unexpected_allows)
print("1..%d" % n)
