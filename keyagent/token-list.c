/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>

#include "config.h"
#include "log.h"
#include "token-list.h"
#if HAVE_FIDO2
#include "fido2-dev.h"
#endif
#if HAVE_PKCS11
#include "pkcs11.h"
#endif

/* A build without a token library (meson -Dfido2, -Dpkcs11) lists none of
 * its kind. */
struct json_object *security_tokens_list(const struct agent_config *config) {
        struct json_object *o = json_object_new_object(), *pkcs11 = NULL, *fido2 = json_object_new_array();

#if HAVE_PKCS11
        int r = pkcs11_list_keys(&pkcs11);
        if (r < 0) {
                log_warning_errno(r, "listing PKCS#11 tokens failed: %m");
                pkcs11 = json_object_new_array();
        }
#else
        pkcs11 = json_object_new_array();
#endif
#if HAVE_FIDO2
        char paths[FIDO2_PATHS_MAX][PATH_MAX];
        size_t n = fido2_dev_paths(config, paths, FIDO2_PATHS_MAX);
        for (size_t i = 0; i < n; i++) {
                struct json_object *d = json_object_new_object();

                json_object_object_add(d, "path", json_object_new_string(paths[i]));
                json_object_array_add(fido2, d);
        }
#endif
        json_object_object_add(o, "pkcs11", pkcs11);
        json_object_object_add(o, "fido2", fido2);
        return o;
}
