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
        int k;

        if (!key)
                return -ENOMEM;
        /* The key is a passphrase like a password: the record's PBKDF. */
        k = token_enroll(image_path, volume_key, volume_key_size, key, r, "systemd-recovery", NULL, e);
        if (k < 0)
                return k;
        *ret_key = TAKE_PTR(key);
        return 0;
}
