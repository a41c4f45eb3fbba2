#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A second, independent CTAP2 client for the test authenticator, written
from the CTAP 2.1 specification with Python's cryptography (not libfido2):
CTAPHID over the seqpacket socket, clientPIN with PIN/UV auth protocols 1
and 2 (section 6.5). PINs are read from stdin, one per line.

  ctap-client.py SOCKET info                  -> options as JSON
  ctap-client.py SOCKET retries               -> the PIN retry counter
  ctap-client.py SOCKET setpin PROTO          (stdin: new PIN)
  ctap-client.py SOCKET changepin PROTO       (stdin: old PIN, new PIN)
  ctap-client.py SOCKET pintoken PROTO        (stdin: PIN)
Prints "status 0xNN" and exits 1 when the authenticator answers an error."""

import hashlib, hmac, json, os, socket, struct, sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


# --- minimal CBOR (RFC 8949): the types CTAP2 uses ---------------------------
def _head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise ValueError(n)


def cbor_enc(v):
    if isinstance(v, bool):
        return bytes([0xF5 if v else 0xF4])
    if isinstance(v, int):
        return _head(0, v) if v >= 0 else _head(1, -1 - v)
    if isinstance(v, bytes):
        return _head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return _head(3, len(b)) + b
    if isinstance(v, list):
        return _head(4, len(v)) + b"".join(cbor_enc(x) for x in v)
    if isinstance(v, dict):
        # canonical CTAP2 order: by encoded key length, then bytes
        items = sorted(((cbor_enc(k), cbor_enc(x)) for k, x in v.items()), key=lambda kv: (len(kv[0]), kv[0]))
        return _head(5, len(v)) + b"".join(k + x for k, x in items)
    raise TypeError(v)


def cbor_dec(b, i=0):
    ib = b[i]
    major, ai = ib >> 5, ib & 31
    i += 1
    if major == 7:
        return {20: False, 21: True, 22: None}[ai], i
    if ai < 24:
        n = ai
    else:
        size = {24: 1, 25: 2, 26: 4, 27: 8}[ai]
        n = int.from_bytes(b[i:i + size], "big")
        i += size
    if major == 0:
        return n, i
    if major == 1:
        return -1 - n, i
    if major in (2, 3):
        v = b[i:i + n]
        return (bytes(v) if major == 2 else v.decode()), i + n
    if major == 4:
        out = []
        for _ in range(n):
            x, i = cbor_dec(b, i)
            out.append(x)
        return out, i
    if major == 5:
        out = {}
        for _ in range(n):
            k, i = cbor_dec(b, i)
            out[k], i = cbor_dec(b, i)
        return out, i
    raise ValueError(ib)


# --- CTAPHID ---------------------------------------------------------------------
class Device:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.connect(path)
        self.cid = 0xFFFFFFFF
        nonce = os.urandom(8)
        cmd, data = self.call(0x86, nonce)
        assert cmd == 0x86 and data[:8] == nonce, "INIT"
        self.cid = struct.unpack(">I", data[8:12])[0]

    def call(self, cmd, data):
        head = struct.pack(">IBH", self.cid, cmd, len(data))
        chunk, data = data[:57], data[57:]
        self.s.send((head + chunk).ljust(64, b"\0"))
        seq = 0
        while data:
            chunk, data = data[:59], data[59:]
            self.s.send((struct.pack(">IB", self.cid, seq) + chunk).ljust(64, b"\0"))
            seq += 1
        r = self.s.recv(64)
        rcmd, n = r[4], struct.unpack(">H", r[5:7])[0]
        out = r[7:7 + n]
        while len(out) < n:
            out += self.s.recv(64)[5:5 + n - len(out)]
        return rcmd, out

    def cbor(self, command, params=None):
        cmd, out = self.call(0x90, bytes([command]) + (cbor_enc(params) if params is not None else b""))
        if cmd != 0x90:
            raise SystemExit("CTAPHID error %r" % out)
        status = out[0]
        return status, (cbor_dec(out, 1)[0] if status == 0 and len(out) > 1 else None)


# --- PIN/UV auth protocols (CTAP 2.1, 6.5.6 and 6.5.7) ---------------------------
class Protocol:
    def __init__(self, dev, version):
        self.v = version
        status, r = dev.cbor(0x06, {1: version, 2: 2})
        check(status)
        peer = r[1]
        x, y = peer[-2], peer[-3]
        pub = ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()).public_key()
        mine = ec.generate_private_key(ec.SECP256R1())
        z = mine.exchange(ec.ECDH(), pub)
        nums = mine.public_key().public_numbers()
        self.platform_key = {1: 2, 3: -25, -1: 1, -2: nums.x.to_bytes(32, "big"), -3: nums.y.to_bytes(32, "big")}
        if version == 1:
            self.shared = hashlib.sha256(z).digest()
        else:
            kdf = lambda info: HKDF(hashes.SHA256(), 32, b"\0" * 32, info).derive(z)
            self.shared = kdf(b"CTAP2 HMAC key") + kdf(b"CTAP2 AES key")

    def encrypt(self, data):
        if self.v == 1:
            e = Cipher(algorithms.AES(self.shared), modes.CBC(b"\0" * 16)).encryptor()
            return e.update(data) + e.finalize()
        iv = os.urandom(16)
        e = Cipher(algorithms.AES(self.shared[32:]), modes.CBC(iv)).encryptor()
        return iv + e.update(data) + e.finalize()

    def decrypt(self, data):
        if self.v == 1:
            d = Cipher(algorithms.AES(self.shared), modes.CBC(b"\0" * 16)).decryptor()
            return d.update(data) + d.finalize()
        d = Cipher(algorithms.AES(self.shared[32:]), modes.CBC(data[:16])).decryptor()
        return d.update(data[16:]) + d.finalize()

    def authenticate(self, key, msg):
        mac = hmac.new(key[:32], msg, hashlib.sha256).digest()
        return mac[:16] if self.v == 1 else mac


def check(status):
    if status != 0:
        print("status 0x%02x" % status)
        sys.exit(1)


def pin_hash_enc(p, pin):
    return p.encrypt(hashlib.sha256(pin.encode()).digest()[:16])


def main():
    path, what = sys.argv[1], sys.argv[2]
    dev = Device(path)
    if what == "info":
        status, r = dev.cbor(0x04)
        check(status)
        print(json.dumps({"versions": r[1], "extensions": r[2], "options": r[4], "pinUvAuthProtocols": r.get(6)}))
        return
    if what == "retries":
        status, r = dev.cbor(0x06, {2: 1})
        check(status)
        print(r[3])
        return
    p = Protocol(dev, int(sys.argv[3]))
    pins = [line.rstrip("\n") for line in sys.stdin]
    if what == "setpin":
        new_enc = p.encrypt(pins[0].encode().ljust(64, b"\0"))
        status, _ = dev.cbor(0x06, {1: p.v, 2: 3, 3: p.platform_key, 4: p.authenticate(p.shared, new_enc), 5: new_enc})
    elif what == "changepin":
        new_enc = p.encrypt(pins[1].encode().ljust(64, b"\0"))
        hash_enc = pin_hash_enc(p, pins[0])
        status, _ = dev.cbor(0x06, {1: p.v, 2: 4, 3: p.platform_key, 4: p.authenticate(p.shared, new_enc + hash_enc),
                                    5: new_enc, 6: hash_enc})
    elif what == "pintoken":
        status, r = dev.cbor(0x06, {1: p.v, 2: 5, 3: p.platform_key, 6: pin_hash_enc(p, pins[0])})
        if status == 0:
            assert len(p.decrypt(r[2])) == 32, "a 32-byte pinUvAuthToken"
    else:
        raise SystemExit("unknown command " + what)
    check(status)
    print("ok")


main()
