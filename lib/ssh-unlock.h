/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssh-wire.h"

/* The homefs-ssh-agent credential (docs/architecture.md, "Unlocking with
 * the key in the ssh-agent", pins these bytes):
 *
 *   challenge  = "homefs-ssh-agent-unlock-v1" 0x00
 *                || string(userName) || string(salt)       (SSH strings)
 *   signature  = the key's signature over challenge (Ed25519, or RSA
 *                PKCS#1 v1.5 SHA-512), raw: 64 bytes, or the modulus length
 *   passphrase = base64(HKDF-SHA256(ikm = signature, salt = salt,
 *                info = "homefs-ssh-agent keyslot v1", L = 32))
 */

#define SSH_UNLOCK_DOMAIN "homefs-ssh-agent-unlock-v1"
#define SSH_UNLOCK_HKDF_INFO "homefs-ssh-agent keyslot v1"
#define SSH_UNLOCK_SALT_LEN 32U
#define SSH_UNLOCK_KEY_LEN 32U

/* The challenge for user_name and salt (SSH_UNLOCK_SALT_LEN bytes), in b
 * (to be freed with ssh_buf_free()). */
int ssh_unlock_challenge(const char *user_name, const uint8_t *salt, struct ssh_buf *b);

/* Is data (len bytes) a challenge for user_name, as above? The client
 * signs nothing else with the user's key, whoever answers on the agent's
 * socket: the key's signature is then of no use to another protocol. */
bool ssh_unlock_challenge_is_for(const uint8_t *data, size_t len, const char *user_name);

/* The keyslot passphrase from the raw signature, in secret memory. */
int ssh_unlock_passphrase(const uint8_t *raw_sig, size_t raw_len, const uint8_t *salt, char **ret);

/* Wipe the signatures in the parameters of an Unlock (sshAgentSignature)
 * or AddCredentials (sshUnlockKeys) call: they open the keyslot. */
void ssh_unlock_wipe_signatures(struct json_object *params);
