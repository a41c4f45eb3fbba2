/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "luks-token.h"
#include "token.h"

int token_enroll(const char *image_path, const void *vk, size_t vk_size, const char *passphrase,
                 const struct user_record *pbkdf_from, const char *type, struct json_object *fields,
                 struct agent_error *e) {
        struct json_object *t;
        int slot, k;

        slot = luks_keyslot_add(image_path, vk, vk_size, passphrase, pbkdf_from);
        if (slot < 0) {
                json_object_put(fields);
                return agent_error_set(e, slot, AGENT_ERROR_FAILED, "Adding a keyslot for the %s token failed: %s.",
                                       type, strerror(-slot));
        }
        t = token_new(type, slot);
        if (fields) {
                json_object_object_foreach(fields, key, val)
                        json_object_object_add(t, key, json_object_get(val));
                json_object_put(fields);
        }
        k = luks_token_add(image_path, t);
        json_object_put(t);
        if (k < 0) {
                (void) luks_credential_remove(image_path, slot);
                return agent_error_set(e, k, AGENT_ERROR_FAILED, "Adding the %s token failed: %s.", type, strerror(-k));
        }
        return slot;
}
