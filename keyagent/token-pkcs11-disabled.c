/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* systemd-pkcs11 tokens in a build without libp11 or p11-kit (meson
 * -Dpkcs11=disabled, or auto where they are missing): enrolling and
 * unlocking fail with an error that names the missing feature. Passwords and
 * recovery keys do not depend on it. */
#include <errno.h>

#include "token.h"

#define NO_PKCS11 "this homefs-agent was built without PKCS#11 support (meson -Dpkcs11=enabled needs libp11 and p11-kit)"

int token_pkcs11_enroll(const char *image_path, const char *uri, const char *pin,
                        const void *volume_key, size_t volume_key_size, struct agent_error *e) {
        e->token_type = "pkcs11";
        return agent_error_set(e, -EOPNOTSUPP, AGENT_ERROR_FAILED,
                               "Cannot enroll the PKCS#11 token %s: " NO_PKCS11 ". "
                               "Enroll a password or a recovery key instead.", uri);
}

int token_pkcs11_passphrase(struct json_object *token, const char *pin, char **ret, struct agent_error *e) {
        e->token_type = "pkcs11";
        return agent_error_set(e, -EOPNOTSUPP, AGENT_ERROR_FAILED,
                               "Cannot unlock with a PKCS#11 token: " NO_PKCS11 ". "
                               "Unlock with the password or a recovery key.");
}

/* No token can be reached: the caller asks for the password instead. */
bool token_pkcs11_present(struct json_object *token) {
        return false;
}
