/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "record.h"
#include "token-parse.h"

/* Keyslots bound to LUKS2 tokens, in systemd's token formats (a token is a
 * JSON object in the header naming its keyslots as strings of their numbers).
 * A credential is a keyslot: a password, or one a token describes. */

/* Add a keyslot for passphrase, using the volume key. With r, the record's
 * PBKDF settings (passwords, recovery keys); without, PBKDF2-SHA512 with 1000
 * iterations, what systemd uses for the high-entropy secrets of tokens.
 * Returns the keyslot number or a negative errno. */
int luks_keyslot_add(const char *image_path, const void *volume_key, size_t volume_key_size,
                     const char *passphrase, const struct user_record *r);

/* Add token (a JSON object with "type" and "keyslots"); returns its id. */
int luks_token_add(const char *image_path, struct json_object *token);

/* Each token of the image in *ret (an array of {"token": id, ...the token's
 * JSON}), in id order. */
int luks_tokens_list(const char *image_path, struct json_object **ret);

/* The image's keyslots and what they are: [{"keyslot": N, "type":
 * "password"|"systemd-recovery"|"systemd-pkcs11"|..., "token": id, plus the
 * token's display fields}]. */
int luks_list_credentials(const char *image_path, struct json_object **ret);

/* Destroy keyslot and every token that names it. -ENOENT if it is not in
 * use; -EBUSY if it is the last keyslot. */
int luks_credential_remove(const char *image_path, int keyslot);

