/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "luks-token.h"
#include "recovery-key.h"
#include "secret.h"
#include "token.h"

int token_recovery_enroll(const char *image_path, const struct user_record *r,
                          const void *volume_key, size_t volume_key_size, char **ret_key, struct agent_error *e) {
        _cleanup_secret_ char *key = recovery_key_new();
        struct json_object *t;
        int slot, k;

        if (!key)
                return -ENOMEM;
        slot = luks_keyslot_add(image_path, volume_key, volume_key_size, key, r);
        if (slot < 0)
                return agent_error_set(e, slot, AGENT_ERROR_FAILED, "Adding the recovery key's keyslot failed: %s.", strerror(-slot));
        t = token_new("systemd-recovery", slot);
        k = luks_token_add(image_path, t);
        json_object_put(t);
        if (k < 0) {
                (void) luks_credential_remove(image_path, slot);
                return agent_error_set(e, k, AGENT_ERROR_FAILED, "Adding the recovery key's token failed: %s.", strerror(-k));
        }
        *ret_key = TAKE_PTR(key);
        return 0;
}
