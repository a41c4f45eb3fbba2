/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssh-key.h"
#include "ssh-unlock.h"

/* Reading systemd's LUKS2 token JSON, which comes from the image's header:
 * input like any other, checked before use. Kept apart from the code that
 * talks to devices (libfido2, libp11), so that it can be fuzzed alone
 * (tests/fuzz/fuzz-token.c). */

/* systemd-fido2: the relying party and the salt length systemd uses. */
#define FIDO2_RP_ID "io.systemd.cryptsetup"
#define FIDO2_SALT_LEN 32U

/* LUKS2 has 32 keyslots (cryptsetup's LUKS2_KEYSLOTS_MAX). */
#define TOKEN_KEYSLOTS_MAX 32

/* The first keyslot a token names ("keyslots": ["N", ...]); -EINVAL if none
 * or malformed. */
int luks_token_keyslot(struct json_object *token);

/* A systemd-fido2 token's fields. */
struct fido2_token {
        unsigned char *cred_id;
        size_t cred_id_len;
        unsigned char *salt;
        size_t salt_len;
        bool client_pin, up, uv;
};

/* Fill t from a systemd-fido2 token: -EBADMSG if malformed, -EOPNOTSUPP for
 * another relying party. Free with fido2_token_clear() in every case. */
int fido2_token_parse(struct json_object *j, struct fido2_token *t);
void fido2_token_clear(struct fido2_token *t);

/* A systemd-pkcs11 token's URI (valid while token lives) and its decoded
 * encrypted key (malloc'ed). -EBADMSG if malformed. */
int pkcs11_token_parse(struct json_object *token, const char **uri, void **blob, size_t *blob_size);

/* homefs-ssh-agent: {"type", "keyslots", "ssh-public-key": "TYPE BASE64",
 * "ssh-salt": base64 of 32 bytes, "ssh-signature-algorithm": "ssh-ed25519"
 * or "rsa-sha2-512" (the key's)}. */
#define SSH_AGENT_TOKEN_TYPE "homefs-ssh-agent"

struct ssh_agent_token {
        struct ssh_pubkey key;
        uint8_t salt[SSH_UNLOCK_SALT_LEN];
};

/* Fill t: -EBADMSG if malformed (a key type that cannot unlock, a salt of
 * another length, an algorithm that is not the key's). Free with
 * ssh_agent_token_clear() in every case. */
int ssh_agent_token_parse(struct json_object *j, struct ssh_agent_token *t);
void ssh_agent_token_clear(struct ssh_agent_token *t);
