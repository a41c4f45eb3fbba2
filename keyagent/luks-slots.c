/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The credentials enrolled in an image, for inspect: one entry per active
 * keyslot, typed by the LUKS2 token that points at it ("systemd-fido2",
 * "systemd-pkcs11", "systemd-recovery", ...) or "password" when none does.
 * Reads the header only; no key is involved. */
#include <errno.h>
#include <libcryptsetup.h>

#include "log.h"
#include "luks.h"
#include "macro.h"

#define TOKENS_MAX 32

/* The type of the token naming keyslot, or NULL. */
static const char *token_type_of(struct crypt_device *cd, int keyslot) {
        for (int t = 0; t < TOKENS_MAX; t++) {
                struct json_object *tok, *slots;
                const char *type = NULL, *json = NULL;
                bool match = false;

                crypt_token_info st = crypt_token_status(cd, t, &type);

                if (st == CRYPT_TOKEN_INVALID || st == CRYPT_TOKEN_INACTIVE || !type)
                        continue;
                if (crypt_token_json_get(cd, t, &json) < 0 || !json)
                        continue;
                tok = json_tokener_parse(json);
                if (tok && json_object_object_get_ex(tok, "keyslots", &slots) && json_object_is_type(slots, json_type_array))
                        for (size_t i = 0; i < json_object_array_length(slots); i++)
                                if (json_object_get_int(json_object_array_get_idx(slots, i)) == keyslot)
                                        match = true;
                json_object_put(tok);
                if (match)
                        return type;
        }
        return NULL;
}

int luks_list_credentials(const char *image_path, struct json_object **ret) {
        struct crypt_device *cd = NULL;
        struct json_object *arr;
        int r, max;

        r = crypt_init(&cd, image_path);
        if (r >= 0)
                r = crypt_load(cd, CRYPT_LUKS2, NULL);
        if (r < 0) {
                crypt_free(cd);
                return r;
        }
        arr = json_object_new_array();
        max = crypt_keyslot_max(CRYPT_LUKS2);
        for (int i = 0; arr && i < max; i++) {
                crypt_keyslot_info st = crypt_keyslot_status(cd, i);
                struct json_object *o;
                const char *type;

                if (st != CRYPT_SLOT_ACTIVE && st != CRYPT_SLOT_ACTIVE_LAST)
                        continue;
                type = token_type_of(cd, i);
                o = json_object_new_object();
                json_object_object_add(o, "keyslot", json_object_new_int(i));
                json_object_object_add(o, "type", json_object_new_string(type ? type : "password"));
                json_object_array_add(arr, o);
        }
        crypt_free(cd);
        if (!arr)
                return -ENOMEM;
        *ret = arr;
        return 0;
}
