/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* systemd-fido2 tokens in a build without libfido2 (meson -Dfido2=disabled,
 * or auto where libfido2 is missing): enrolling and unlocking fail with an
 * error that names the missing feature. Passwords and recovery keys do not
 * depend on it. */
#include <errno.h>

#include "token-fido2.h"

#define NO_FIDO2 "this homefs-agent was built without FIDO2 support (meson -Dfido2=enabled needs libfido2)"

int token_fido2_enroll(const struct agent_config *config, const char *image_path, const char *user_name, const struct fido2_options *o,
                       const void *volume_key, size_t volume_key_size, struct agent_error *e) {
        e->token_type = "fido2";
        return agent_error_set(e, -EOPNOTSUPP, AGENT_ERROR_FAILED,
                               "Cannot enroll a FIDO2 security key for %s: " NO_FIDO2 ". "
                               "Enroll a password or a recovery key instead.", user_name);
}

/* No device can be asked: the caller treats the key as not plugged in. */
int token_fido2_probe(const struct agent_config *config, struct json_object *token, struct fido2_probe *ret) {
        return -EOPNOTSUPP;
}

int token_fido2_passphrase(const struct agent_config *config, struct json_object *token, const char *pin, char **ret, struct agent_error *e) {
        e->token_type = "fido2";
        return agent_error_set(e, -EOPNOTSUPP, AGENT_ERROR_FAILED,
                               "Cannot unlock with a FIDO2 security key: " NO_FIDO2 ". "
                               "Unlock with the password or a recovery key.");
}
