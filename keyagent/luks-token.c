/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "luks-token.h"
#include "luks.h"

#define TOKEN_PBKDF_ITERATIONS 1000U

int luks_keyslot_add(const char *image_path, const void *volume_key, size_t volume_key_size,
                     const char *passphrase, const struct user_record *r) {
        _cleanup_crypt_ struct crypt_device *cd = NULL;
        struct crypt_pbkdf_type pbkdf = {
                .type = CRYPT_KDF_PBKDF2,
                .hash = "sha512",
                .iterations = TOKEN_PBKDF_ITERATIONS,
                .flags = CRYPT_PBKDF_NO_BENCHMARK,
        };
        int k;

        k = luks_open(image_path, &cd);
        if (k < 0)
                return k;
        if (r)
                luks_pbkdf_from_record(r, &pbkdf);
        k = crypt_set_pbkdf_type(cd, &pbkdf);
        if (k < 0)
                return log_error_errno(k, "PBKDF settings rejected by libcryptsetup: %m");
        k = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, volume_key, volume_key_size,
                                            passphrase, strlen(passphrase));
        if (k < 0)
                return log_error_errno(k, "adding a keyslot to %s failed: %m", image_path);
        return k;
}

int luks_token_add(const char *image_path, struct json_object *token) {
        _cleanup_crypt_ struct crypt_device *cd = NULL;
        int k;

        k = luks_open(image_path, &cd);
        if (k < 0)
                return k;
        k = crypt_token_json_set(cd, CRYPT_ANY_TOKEN, json_object_to_json_string_ext(token, JSON_C_TO_STRING_PLAIN));
        if (k < 0)
                return log_error_errno(k, "adding a token to %s failed: %m", image_path);
        return k;
}

static bool token_names_keyslot(struct json_object *token, int keyslot) {
        struct json_object *slots;
        char want[16];

        snprintf(want, sizeof(want), "%d", keyslot);
        if (!json_object_object_get_ex(token, "keyslots", &slots) || !json_object_is_type(slots, json_type_array))
                return false;
        for (size_t i = 0; i < json_object_array_length(slots); i++) {
                struct json_object *v = json_object_array_get_idx(slots, i);

                if (json_object_is_type(v, json_type_string) && streq(json_object_get_string(v), want))
                        return true;
        }
        return false;
}

static int tokens_of(struct crypt_device *cd, struct json_object **ret) {
        struct json_object *arr = json_object_new_array();

        if (!arr)
                return -ENOMEM;
        for (int t = 0; t < 32; t++) { /* LUKS2 has 32 token ids */
                struct json_object *o;
                const char *json;

                if (crypt_token_json_get(cd, t, &json) < 0)
                        continue;
                o = json_tokener_parse(json);
                if (!o || !json_object_is_type(o, json_type_object)) {
                        json_object_put(o);
                        continue;
                }
                json_object_object_add(o, "token", json_object_new_int(t));
                json_object_array_add(arr, o);
        }
        *ret = arr;
        return 0;
}

int luks_tokens_list(const char *image_path, struct json_object **ret) {
        _cleanup_crypt_ struct crypt_device *cd = NULL;
        int k;

        k = luks_open(image_path, &cd);
        return k < 0 ? k : tokens_of(cd, ret);
}

/* The token that names keyslot, or NULL: the keyslot is a password. */
static struct json_object *token_for_keyslot(struct json_object *tokens, int keyslot) {
        for (size_t i = 0; i < json_object_array_length(tokens); i++) {
                struct json_object *t = json_object_array_get_idx(tokens, i);

                if (token_names_keyslot(t, keyslot))
                        return t;
        }
        return NULL;
}

/* What inspect shows of a token: its type and id, and the fields that tell
 * credentials apart (never the encrypted key material). */
static void add_display_fields(struct json_object *entry, struct json_object *token) {
        static const char *const shown[] = { "type", "token", "pkcs11-uri", "fido2-rp",
                                             "fido2-clientPin-required", "fido2-up-required", "fido2-uv-required",
                                             "ssh-public-key", "ssh-signature-algorithm" };
        struct json_object *v;

        for (size_t i = 0; i < ELEMENTSOF(shown); i++)
                if (json_object_object_get_ex(token, shown[i], &v))
                        json_object_object_add(entry, shown[i], json_object_get(v));
}

int luks_list_credentials(const char *image_path, struct json_object **ret) {
        _cleanup_crypt_ struct crypt_device *cd = NULL;
        struct json_object *tokens = NULL, *arr;
        int k;

        k = luks_open(image_path, &cd);
        if (k >= 0)
                k = tokens_of(cd, &tokens);
        if (k < 0)
                return k;
        arr = json_object_new_array();
        for (int s = 0; arr && s < crypt_keyslot_max(CRYPT_LUKS2); s++) {
                crypt_keyslot_info st = crypt_keyslot_status(cd, s);
                struct json_object *entry, *token;

                if (st != CRYPT_SLOT_ACTIVE && st != CRYPT_SLOT_ACTIVE_LAST)
                        continue;
                entry = json_object_new_object();
                json_object_object_add(entry, "keyslot", json_object_new_int(s));
                token = token_for_keyslot(tokens, s);
                if (token)
                        add_display_fields(entry, token);
                else
                        json_object_object_add(entry, "type", json_object_new_string("password"));
                json_object_array_add(arr, entry);
        }
        json_object_put(tokens);
        if (!arr)
                return -ENOMEM;
        *ret = arr;
        return 0;
}

int luks_credential_remove(const char *image_path, int keyslot) {
        _cleanup_crypt_ struct crypt_device *cd = NULL;
        struct json_object *tokens = NULL;
        crypt_keyslot_info st;
        int k;

        k = luks_open(image_path, &cd);
        if (k < 0)
                return k;
        if (keyslot < 0 || keyslot >= crypt_keyslot_max(CRYPT_LUKS2))
                return -ENOENT;
        st = crypt_keyslot_status(cd, keyslot);
        if (st == CRYPT_SLOT_ACTIVE_LAST)
                return -EBUSY;
        if (st != CRYPT_SLOT_ACTIVE)
                return -ENOENT;
        k = tokens_of(cd, &tokens);
        if (k < 0)
                return k;
        /* Tokens first: a token without its keyslot would be offered at
         * unlock and fail; a keyslot without its token is merely unused. */
        for (size_t i = 0; i < json_object_array_length(tokens); i++) {
                struct json_object *t = json_object_array_get_idx(tokens, i), *id;

                if (!token_names_keyslot(t, keyslot) || !json_object_object_get_ex(t, "token", &id))
                        continue;
                k = crypt_token_json_set(cd, json_object_get_int(id), NULL);
                if (k < 0) {
                        json_object_put(tokens);
                        return log_error_errno(k, "removing token %d of %s failed: %m", json_object_get_int(id), image_path);
                }
        }
        json_object_put(tokens);
        k = crypt_keyslot_destroy(cd, keyslot);
        if (k < 0)
                return log_error_errno(k, "removing keyslot %d of %s failed: %m", keyslot, image_path);
        return 0;
}
