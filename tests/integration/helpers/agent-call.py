#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# agent-call.py SOCKET METHOD PARAMS_JSON: one raw call to the agent,
# bypassing homefsctl's own checks; prints the reply, exit 0 for a reply,
# 1 for an error reply, 2 if the connection failed, 3 if the agent closed it
# without a reply (what it does with a message it cannot parse).
import socket
import sys

sock, method, params = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(60)
try:
    s.connect(sock)
    s.sendall(('{"method":"%s","parameters":%s}' % (method, params)).encode() + b"\0")
    data = b""
    while not data.endswith(b"\0"):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except OSError as e:
    print("connection failed: %s" % e)
    sys.exit(2)
if not data.endswith(b"\0"):
    print("the agent closed the connection without a reply")
    sys.exit(3)
print(data.rstrip(b"\0").decode(errors="replace"))
sys.exit(1 if data.startswith(b'{"error"') or b'"error":' in data[:40] else 0)
