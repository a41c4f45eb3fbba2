/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <security/pam_ext.h>
#include <syslog.h>

#include "macro.h"
#include "pam-homefs.h"
#include "secret.h"

/* After a failed attempt libpam waits this long (with its own jitter), as
 * pam_unix does, so a password cannot be guessed at machine speed here. */
#define FAIL_DELAY_USEC 2000000U

/* Unlock the home with PAM_AUTHTOK (if an earlier module set it) or a
 * password asked through the conversation. An unlocked home is still
 * verified against a keyslot by the agent. */
PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        _cleanup_(proto_conn_freep) struct proto_conn *c = NULL;
        _cleanup_agent_error_ struct agent_error e = {};
        struct unlock_result res = {};
        struct unlock_prompter p;
        struct unlock_request req;
        const void *authtok = NULL;
        struct pam_homefs m;
        int r;

        r = pam_homefs_init(&m, pamh, argc, argv);
        if (r != PAM_SUCCESS)
                return r;
        (void) pam_fail_delay(pamh, FAIL_DELAY_USEC);
        r = pam_homefs_lookup(&m, NULL);
        if (r != PAM_SUCCESS)
                return r;
        (void) pam_get_item(pamh, PAM_AUTHTOK, &authtok);
        req = (struct unlock_request) { .user_name = m.user, .password = authtok, .tries = m.tries };
        p = pam_homefs_prompter(&m);

        r = pam_homefs_connect(&m, &c, &e);
        if (r >= 0)
                r = unlock_flow_run(c, &req, &p, &res, &e);
        if (r == -ECANCELED || r == -ENOMEM)
                return r == -ENOMEM ? PAM_BUF_ERR : PAM_CONV_ERR;
        if (r < 0)
                return pam_homefs_error(&m, &e, 'a');

        pam_homefs_debug(&m, "%s the home of %s", res.already_unlocked ? "verified" : "unlocked", m.user);
        /* Later modules (and the session) may use the password that worked. */
        r = authtok ? PAM_SUCCESS : pam_set_item(pamh, PAM_AUTHTOK, res.password);
        secret_free(res.password);
        return r;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return PAM_SUCCESS;
}
