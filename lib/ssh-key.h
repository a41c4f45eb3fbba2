/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

/* SSH public keys and signatures for unlocking with the key in a user's
 * ssh-agent. Only key types whose signatures are deterministic can derive a
 * keyslot passphrase: Ed25519 (RFC 8032) and RSA with PKCS#1 v1.5 over
 * SHA-512 ("rsa-sha2-512", RFC 8332). ECDSA signatures carry a random nonce
 * (another value every time), and FIDO "sk-" keys sign a counter that moves
 * with every use, so neither can open the same keyslot twice. */

enum ssh_key_type {
        SSH_KEY_ED25519,
        SSH_KEY_RSA,
};

#define SSH_RSA_BITS_MIN 2048
#define SSH_RSA_BITS_MAX 16384
#define SSH_KEY_BLOB_MAX 4096U   /* a 16384-bit RSA key is about 2 KiB */
#define SSH_SIGNATURE_MAX 4096U

struct ssh_pubkey {
        enum ssh_key_type type;
        uint8_t *blob; /* the wire-format public key (malloc'ed) */
        size_t blob_len;
};

/* The key type's name ("ssh-ed25519", "ssh-rsa") and the signature
 * algorithm homefs asks for ("ssh-ed25519", "rsa-sha2-512"). */
const char *ssh_key_type_name(enum ssh_key_type t);
const char *ssh_key_signature_algorithm(enum ssh_key_type t);

/* Parse an OpenSSH public key line "TYPE BASE64 [COMMENT]" (options before
 * the type, as authorized_keys allows, are not accepted). -EOPNOTSUPP for a
 * key type homefs cannot use, -EINVAL for anything malformed; *why (may be
 * NULL) gets a sentence for the user in both cases. Free k with
 * ssh_pubkey_clear(). */
int ssh_pubkey_parse_line(const char *line, struct ssh_pubkey *k, const char **why);
/* The same from a wire-format blob (an ssh-agent's identity). */
int ssh_pubkey_from_blob(const uint8_t *blob, size_t len, struct ssh_pubkey *k, const char **why);
void ssh_pubkey_clear(struct ssh_pubkey *k);

/* "TYPE BASE64" (no comment), malloc'ed. */
char *ssh_pubkey_to_line(const struct ssh_pubkey *k);

/* The key as an OpenSSL public key (RSA: 2048 to 16384 bits). */
int ssh_pubkey_to_evp(const struct ssh_pubkey *k, EVP_PKEY **ret);

/* Verify an SSH signature blob (string algorithm, string signature) by k
 * over data: the algorithm must be k's (ssh_key_signature_algorithm).
 * Returns 0 and the raw signature in raw (at least SSH_SIGNATURE_MAX
 * bytes): Ed25519's 64 bytes, or RSA's signature left-padded with zeros to
 * the modulus length (some agents drop leading zero bytes). -EBADMSG for a
 * malformed blob or another algorithm, -EPERM if it does not verify. */
int ssh_signature_verify(const struct ssh_pubkey *k, const uint8_t *sig, size_t sig_len,
                         const uint8_t *data, size_t data_len, uint8_t *raw, size_t *raw_len);
