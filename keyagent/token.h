/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent-error.h"
#include "json-util.h"
#include "record.h"

/* Credentials bound to systemd's LUKS2 token types. Enrolling adds a keyslot
 * (with the volume key the caller opened) and the token describing it;
 * unlocking turns a token plus what the user supplied into the keyslot's
 * passphrase. Passphrases are returned in secret memory. */

/* systemd-recovery: a new recovery key (returned, to be shown once) as a
 * keyslot with the record's PBKDF settings. */
int token_recovery_enroll(const char *image_path, const struct user_record *r,
                          const void *volume_key, size_t volume_key_size, char **ret_key, struct agent_error *e);

/* systemd-pkcs11: a random secret encrypted to (RSA) or agreed with (EC) the
 * token's key named by uri. pin may be NULL (needed only if the token keeps
 * its public objects private). */
int token_pkcs11_enroll(const char *image_path, const char *uri, const char *pin,
                        const void *volume_key, size_t volume_key_size, struct agent_error *e);

/* The keyslot passphrase from a systemd-pkcs11 token, with the PIN. */
int token_pkcs11_passphrase(struct json_object *token, const char *pin, char **ret, struct agent_error *e);

/* Is the token a systemd-pkcs11 token whose device is present? */
bool token_pkcs11_present(struct json_object *token);

/* {"type": type, "keyslots": ["N"]}: the fields every systemd token has. */
struct json_object *token_new(const char *type, int keyslot);

/* Add a keyslot for passphrase (PBKDF from the record, or PBKDF2-SHA512 at
 * 1000 iterations for token secrets when NULL) and the token of type naming
 * it, with the members of fields (taken over; may be NULL). Without the
 * token, the keyslot is removed again. Returns the keyslot. */
int token_enroll(const char *image_path, const void *vk, size_t vk_size, const char *passphrase,
                 const struct user_record *pbkdf_from, const char *type, struct json_object *fields,
                 struct agent_error *e);

/* The "type" of a token, or "". */
const char *token_type(struct json_object *token);

/* homefs-ssh-agent (lib/ssh-unlock.h): enroll public_key (an OpenSSH line)
 * by its signature (base64 of the SSH signature blob) over the challenge for
 * user_name and salt (base64, 32 bytes); the signature is verified first.
 * A key already enrolled is refused. */
struct ssh_pubkey;
int token_ssh_agent_enroll(const char *image_path, const char *user_name, const char *public_key,
                           const char *salt, const char *signature, const void *volume_key,
                           size_t volume_key_size, struct agent_error *e);

/* The keyslot passphrase of a homefs-ssh-agent token from the signature
 * given at unlock: -ENXIO if the token is for another key, -EPERM if the
 * signature does not verify, -EBADMSG for a malformed token. */
int token_ssh_agent_passphrase(struct json_object *token, const char *user_name, const struct ssh_pubkey *key,
                               const uint8_t *sig, size_t sig_len, char **ret);

/* [{publicKey, algorithm, challenge (base64)}] for each homefs-ssh-agent
 * token of the image. */
int token_ssh_agent_challenges(const char *image_path, const char *user_name, struct json_object **ret);
