/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <security/pam_ext.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "macro.h"
#include "pam-homefs.h"
#include "parse-util.h"

static bool has_prefix(const char *s, const char *prefix, const char **rest) {
        size_t n = strlen(prefix);

        if (strncmp(s, prefix, n) != 0)
                return false;
        *rest = s + n;
        return true;
}

static int parse_option(struct pam_homefs *m, const char *arg) {
        const char *v;

        if (streq(arg, "debug"))
                m->debug = true;
        else if (has_prefix(arg, "runtime_dir=", &v)) {
                if (v[0] != '/') {
                        pam_syslog(m->pamh, LOG_ERR, "runtime_dir= needs an absolute path: %s", v);
                        return PAM_SERVICE_ERR;
                }
                m->runtime_dir = v;
        } else if (has_prefix(arg, "tries=", &v)) {
                unsigned n;

                if (safe_atou(v, &n) < 0 || n < 1 || n > 10) {
                        pam_syslog(m->pamh, LOG_ERR, "tries= must be 1..10: %s", v);
                        return PAM_SERVICE_ERR;
                }
                m->tries = n;
        } else if (has_prefix(arg, "suspend=", &v))
                ; /* reserved for lock-on-suspend */
        else
                pam_syslog(m->pamh, LOG_WARNING, "unknown option ignored: %s", arg);
        return PAM_SUCCESS;
}

int pam_homefs_init(struct pam_homefs *m, pam_handle_t *pamh, int argc, const char **argv) {
        const char *user = NULL;
        int r;

        *m = (struct pam_homefs) { .pamh = pamh, .tries = 1, .runtime_dir = PAM_HOMEFS_RUNTIME_DIR_DEFAULT };
        for (int i = 0; i < argc; i++) {
                r = parse_option(m, argv[i]);
                if (r != PAM_SUCCESS)
                        return r;
        }
        r = pam_get_user(pamh, &user, NULL);
        if (r != PAM_SUCCESS || !user || !user[0]) {
                pam_syslog(pamh, LOG_ERR, "cannot get the user name: %s", pam_strerror(pamh, r));
                return r == PAM_SUCCESS ? PAM_USER_UNKNOWN : r;
        }
        /* Names homefs cannot manage are somebody else's business. */
        if (!user_name_is_valid(user))
                return PAM_USER_UNKNOWN;
        m->user = user;
        return PAM_SUCCESS;
}
