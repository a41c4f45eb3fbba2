/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <security/pam_ext.h>
#include <string.h>
#include <syslog.h>

#include "macro.h"
#include "pam-homefs.h"
#include "secret.h"

/* A password from a PAM item if an earlier module set it, else asked. The
 * result is in secret memory either way. */
static int get_secret(struct pam_homefs *m, int item, const char *prompt, char **ret) {
        const void *v = NULL;

        if (pam_get_item(m->pamh, item, &v) == PAM_SUCCESS && v) {
                *ret = secret_strdup(v);
                return *ret ? 0 : -ENOMEM;
        }
        return pam_homefs_ask(m, prompt, ret);
}

/* The new password, asked twice unless an earlier module set it. */
static int get_new_password(struct pam_homefs *m, char **ret) {
        _cleanup_secret_ char *a = NULL, *b = NULL;
        const void *v = NULL;
        int r;

        if (pam_get_item(m->pamh, PAM_AUTHTOK, &v) == PAM_SUCCESS && v)
                return get_secret(m, PAM_AUTHTOK, NULL, ret);
        r = pam_homefs_ask(m, "New password: ", &a);
        if (r < 0)
                return r;
        r = pam_homefs_ask(m, "Retype new password: ", &b);
        if (r < 0)
                return r;
        if (!streq(a, b)) {
                pam_error(m->pamh, "Sorry, passwords do not match.");
                return -EKEYREJECTED;
        }
        if (!a[0]) {
                pam_error(m->pamh, "No password given.");
                return -EINVAL;
        }
        *ret = TAKE_PTR(a);
        return 0;
}

static int change_password(struct pam_homefs *m, const char *old_pw, const char *new_pw) {
        _cleanup_(proto_conn_freep) struct proto_conn *c = NULL;
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *params, *reply = NULL;
        int r;

        r = pam_homefs_connect(m, &c, &e);
        if (r < 0)
                return pam_homefs_error(m, &e, 'c');
        params = json_object_new_object();
        if (!params)
                return PAM_BUF_ERR;
        json_object_object_add(params, "userName", json_object_new_string(m->user));
        json_object_object_add(params, "password", json_object_new_string(old_pw));
        json_object_object_add(params, "newPassword", json_object_new_string(new_pw));
        r = agent_call(c, AGENT_INTERFACE ".Passwd", params, true, &reply, &e);
        json_object_put(reply);
        if (r < 0)
                return pam_homefs_error(m, &e, 'c');
        return PAM_SUCCESS;
}

/* For a user homefs does not manage, in the update phase: the new password
 * for the modules after this one, as pam_pwquality gives it. pam-auth-update
 * writes pam_unix with use_authtok after the first password module, and
 * pam_unix then changes nothing unless an earlier module set PAM_AUTHTOK. */
static int new_password_for_others(struct pam_homefs *m) {
        _cleanup_secret_ char *new_pw = NULL;
        const void *v = NULL;
        int r;

        if (pam_get_item(m->pamh, PAM_AUTHTOK, &v) == PAM_SUCCESS && v)
                return PAM_USER_UNKNOWN;
        r = get_new_password(m, &new_pw);
        if (r == -ENOMEM)
                return PAM_BUF_ERR;
        if (r < 0)
                return r == -ECANCELED ? PAM_CONV_ERR : PAM_AUTHTOK_ERR;
        r = pam_set_item(m->pamh, PAM_AUTHTOK, new_pw);
        return r == PAM_SUCCESS ? PAM_USER_UNKNOWN : r;
}

/* Re-key the home's LUKS keyslot. The agent needs the current password even
 * from root: only a keyslot it opens can be re-keyed. */
PAM_EXTERN int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        _cleanup_secret_ char *old_pw = NULL, *new_pw = NULL;
        struct pam_homefs m;
        int r;

        r = pam_homefs_init(&m, pamh, argc, argv);
        if (r == PAM_USER_UNKNOWN && m.user && (flags & PAM_UPDATE_AUTHTOK))
                return new_password_for_others(&m);
        if (r != PAM_SUCCESS)
                return r;
        r = pam_homefs_lookup(&m, NULL);
        if (r != PAM_SUCCESS || (flags & PAM_PRELIM_CHECK))
                return r;

        r = get_secret(&m, PAM_OLDAUTHTOK, "Current password: ", &old_pw);
        if (r >= 0)
                r = get_new_password(&m, &new_pw);
        if (r == -ENOMEM)
                return PAM_BUF_ERR;
        if (r < 0)
                return r == -ECANCELED ? PAM_CONV_ERR : PAM_AUTHTOK_ERR;
        r = change_password(&m, old_pw, new_pw);
        if (r != PAM_SUCCESS)
                return r;
        pam_homefs_debug(&m, "password of %s changed", m.user);
        /* So that later modules (pam_unix) can set the same one. */
        (void) pam_set_item(pamh, PAM_OLDAUTHTOK, old_pw);
        return pam_set_item(pamh, PAM_AUTHTOK, new_pw);
}
