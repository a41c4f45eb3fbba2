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

/* NAME=PATH, absolute. */
static int parse_path(struct pam_homefs *m, const char *name, const char *v, const char **ret) {
        if (v[0] != '/') {
                pam_syslog(m->pamh, LOG_ERR, "%s= needs an absolute path: %s", name, v);
                return PAM_SERVICE_ERR;
        }
        *ret = v;
        return PAM_SUCCESS;
}

/* NAME=N, min..max. */
static int parse_number(struct pam_homefs *m, const char *name, const char *v, unsigned min, unsigned max,
                        unsigned *ret) {
        unsigned n;

        if (safe_atou(v, &n) < 0 || n < min || n > max) {
                pam_syslog(m->pamh, LOG_ERR, "%s= must be %u..%u: %s", name, min, max, v);
                return PAM_SERVICE_ERR;
        }
        *ret = n;
        return PAM_SUCCESS;
}

static int parse_option(struct pam_homefs *m, const char *arg) {
        const char *v;

        if (streq(arg, "debug"))
                m->debug = true;
        else if (has_prefix(arg, "runtime_dir=", &v))
                return parse_path(m, "runtime_dir", v, &m->runtime_dir);
        else if (has_prefix(arg, "state_dir=", &v))
                return parse_path(m, "state_dir", v, &m->state_dir);
        else if (has_prefix(arg, "timeout=", &v))
                return parse_number(m, "timeout", v, 1, 600, &m->timeout_sec);
        else if (has_prefix(arg, "tries=", &v))
                return parse_number(m, "tries", v, 1, 10, &m->tries);
        else if (has_prefix(arg, "suspend=", &v)) {
                if (streq(v, "yes") || streq(v, "true") || streq(v, "on") || streq(v, "1"))
                        m->suspend = true;
                else if (streq(v, "no") || streq(v, "false") || streq(v, "off") || streq(v, "0"))
                        m->suspend = false;
                else {
                        pam_syslog(m->pamh, LOG_ERR, "suspend= takes a boolean: %s", v);
                        return PAM_SERVICE_ERR;
                }
        } else
                pam_syslog(m->pamh, LOG_WARNING, "unknown option ignored: %s", arg);
        return PAM_SUCCESS;
}

int pam_homefs_init(struct pam_homefs *m, pam_handle_t *pamh, int argc, const char **argv) {
        const char *user = NULL;
        int r;

        *m = (struct pam_homefs) { .pamh = pamh, .tries = 1, .runtime_dir = PAM_HOMEFS_RUNTIME_DIR_DEFAULT,
                                    .state_dir = PAM_HOMEFS_STATE_DIR_DEFAULT, .timeout_sec = PAM_HOMEFS_TIMEOUT_SEC_DEFAULT };
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
        m->user = user;
        /* Names homefs cannot manage are somebody else's business. */
        if (!user_name_is_valid(user))
                return PAM_USER_UNKNOWN;
        if (!pam_homefs_is_ours(m)) {
                pam_homefs_debug(m, "%s has no record in %s/records: not a homefs user", user, m->state_dir);
                return PAM_USER_UNKNOWN;
        }
        return PAM_SUCCESS;
}
