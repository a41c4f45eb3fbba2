/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A new password must pass libpwquality (with /etc/security/pwquality.conf),
 * as homectl's --enforce-password-policy does; =no skips the check. */
#include <limits.h>
#include <pwquality.h>
#include <stdio.h>
#include <unistd.h>

#include "homefsctl.h"
#include "log.h"

/* Debian's cracklib dictionary when pwquality.conf names none. */
#define CRACKLIB_DICT_DEFAULT "/var/cache/cracklib/cracklib_dict"

/* Without its dictionary every password "fails the dictionary check": then
 * check all the rest, as homectl does (cracklib-runtime provides it). */
static void disable_missing_dictionary(pwquality_settings_t *settings) {
        const char *path = NULL;
        char file[PATH_MAX];

        if (pwquality_get_str_value(settings, PWQ_SETTING_DICT_PATH, &path) < 0 || !path || !path[0])
                path = CRACKLIB_DICT_DEFAULT;
        snprintf(file, sizeof(file), "%s.pwd", path);
        if (access(file, R_OK) < 0)
                (void) pwquality_set_int_value(settings, PWQ_SETTING_DICT_CHECK, 0);
}

int password_quality_check(const struct options *o, const char *user, const char *old_password,
                           const char *password) {
        pwquality_settings_t *settings;
        void *auxerror = NULL;
        char buf[PWQ_MAX_ERROR_MESSAGE_LEN];
        int r;

        if (o->skip_password_policy)
                return EXIT_OK;
        settings = pwquality_default_settings();
        if (!settings) {
                log_error("out of memory");
                return EXIT_FAIL;
        }
        /* A missing or broken configuration file leaves the defaults. */
        (void) pwquality_read_config(settings, NULL, NULL);
        disable_missing_dictionary(settings);
        r = pwquality_check(settings, password, old_password, user, &auxerror);
        pwquality_free_settings(settings);
        if (r >= 0)
                return EXIT_OK;
        log_error("the new password of %s is too weak: %s; choose another, or pass --enforce-password-policy=no",
                  user, pwquality_strerror(buf, sizeof(buf), r, auxerror));
        return EXIT_FAIL;
}
