/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>

#include "fido2-dev.h"
#include "log.h"
#include "pkcs11.h"
#include "token-list.h"

struct json_object *security_tokens_list(const struct agent_config *config) {
        char paths[FIDO2_PATHS_MAX][PATH_MAX];
        struct json_object *o = json_object_new_object(), *pkcs11 = NULL, *fido2 = json_object_new_array();
        size_t n;
        int r;

        r = pkcs11_list_keys(&pkcs11);
        if (r < 0) {
                log_warning_errno(r, "listing PKCS#11 tokens failed: %m");
                pkcs11 = json_object_new_array();
        }
        n = fido2_dev_paths(config, paths, FIDO2_PATHS_MAX);
        for (size_t i = 0; i < n; i++) {
                struct json_object *d = json_object_new_object();

                json_object_object_add(d, "path", json_object_new_string(paths[i]));
                json_object_array_add(fido2, d);
        }
        json_object_object_add(o, "pkcs11", pkcs11);
        json_object_object_add(o, "fido2", fido2);
        return o;
}
