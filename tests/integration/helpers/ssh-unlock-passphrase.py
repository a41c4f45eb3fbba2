#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# ssh-unlock-passphrase.py IMAGE USER PRIVATE_KEY: the keyslot passphrase of
# the image's homefs-ssh-agent token for that key, recomputed from
# docs/architecture.md alone with python3-cryptography (not homefs's code):
# the challenge, the key's signature over it, HKDF-SHA256. Prints
# "KEYSLOT PASSPHRASE"; exit 1 if no token has the key.
#
# signed-by KEY MESSAGE_HEX: the SSH signature blob (base64) of MESSAGE by
# KEY, for the test that feeds the agent signatures over other messages.
import base64
import json
import struct
import subprocess
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

DOMAIN = b"homefs-ssh-agent-unlock-v1"
INFO = b"homefs-ssh-agent keyslot v1"


def string(b):
    return struct.pack(">I", len(b)) + b


def load(path):
    with open(path, "rb") as f:
        return serialization.load_ssh_private_key(f.read(), password=None)


def raw_signature(key, message):
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ssh-ed25519", key.sign(message)
    assert isinstance(key, rsa.RSAPrivateKey)
    return "rsa-sha2-512", key.sign(message, padding.PKCS1v15(), hashes.SHA512())


def public_line(key):
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def main():
    if sys.argv[1] == "signed-by":
        alg, sig = raw_signature(load(sys.argv[2]), bytes.fromhex(sys.argv[3]))
        print(base64.b64encode(string(alg.encode()) + string(sig)).decode())
        return 0
    image, user, keyfile = sys.argv[1:4]
    key = load(keyfile)
    meta = json.loads(subprocess.check_output(["cryptsetup", "luksDump", "--dump-json-metadata", image]))
    for token in meta["tokens"].values():
        if token["type"] != "homefs-ssh-agent" or token["ssh-public-key"].split()[:2] != public_line(key).split()[:2]:
            continue
        salt = base64.b64decode(token["ssh-salt"], validate=True)
        assert len(salt) == 32
        challenge = DOMAIN + b"\0" + string(user.encode()) + string(salt)
        alg, sig = raw_signature(key, challenge)
        assert alg == token["ssh-signature-algorithm"]
        okm = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=INFO).derive(sig)
        print(token["keyslots"][0], base64.b64encode(okm).decode())
        return 0
    return 1


sys.exit(main())
