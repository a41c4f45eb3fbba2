/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <security/pam_ext.h>
#include <syslog.h>

#include "agent-session.h"
#include "macro.h"
#include "pam-homefs.h"

/* The session's connection to the agent lives in the PAM handle under this
 * name: open_session stores it, close_session releases the reference and
 * closes it, and pam_end closes it if close_session never came. It is
 * close-on-exec: the user's shell must not inherit a connection opened as
 * root, and the login process (which holds the handle) decides how long the
 * session lasts. If that process dies, the kernel closes the socket and the
 * agent ends the session. */
#define SESSION_DATA "homefs-session"

static void session_cleanup(pam_handle_t *pamh, void *data, int error_status) {
        proto_conn_free(data);
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        _cleanup_(proto_conn_freep) struct proto_conn *c = NULL;
        _cleanup_agent_error_ struct agent_error e = {};
        const void *authtok = NULL, *old = NULL;
        bool already = false;
        struct pam_homefs m;
        int r;

        r = pam_homefs_init(&m, pamh, argc, argv);
        if (r != PAM_SUCCESS)
                return r == PAM_USER_UNKNOWN ? PAM_IGNORE : r;
        if (pam_get_data(pamh, SESSION_DATA, &old) == PAM_SUCCESS && old)
                return PAM_SUCCESS; /* opened twice on one handle: one reference */
        (void) pam_get_item(pamh, PAM_AUTHTOK, &authtok);

        r = pam_homefs_connect(&m, &c, &e);
        if (r >= 0)
                r = agent_session_acquire(c, m.user, authtok, m.suspend, &already, &e);
        if (r == -ENOKEY && e.origin == AGENT_ERROR_REPLY) {
                /* No password in this login (an SSH key): the home stays
                 * locked; homefs-sshstub asks for the password. */
                pam_syslog(pamh, LOG_INFO, "home of %s is locked and no password is known; not holding it", m.user);
                return PAM_IGNORE;
        }
        if (r < 0) {
                r = pam_homefs_error(&m, &e, 's');
                return r == PAM_USER_UNKNOWN ? PAM_IGNORE : r;
        }
        r = pam_set_data(pamh, SESSION_DATA, c, session_cleanup);
        if (r != PAM_SUCCESS)
                return PAM_BUF_ERR; /* c is freed: the reference goes at once */
        c = NULL;
        pam_homefs_debug(&m, "session for %s opened (home %s)", m.user, already ? "was unlocked" : "unlocked now");
        return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        _cleanup_agent_error_ struct agent_error e = {};
        const void *data = NULL;
        struct pam_homefs m;
        int r;

        r = pam_homefs_init(&m, pamh, argc, argv);
        if (r != PAM_SUCCESS)
                return r == PAM_USER_UNKNOWN ? PAM_IGNORE : r;
        if (pam_get_data(pamh, SESSION_DATA, &data) != PAM_SUCCESS || !data)
                return PAM_IGNORE; /* we hold nothing for this login */
        r = agent_session_release((struct proto_conn *) data, &e);
        if (r < 0)
                /* The agent restarted or the link broke: the reference is
                 * gone with the connection either way. */
                pam_syslog(pamh, LOG_WARNING, "releasing the session of %s: %s", m.user, strerror(-r));
        /* Replacing the data runs session_cleanup: the connection closes. */
        (void) pam_set_data(pamh, SESSION_DATA, NULL, NULL);
        pam_homefs_debug(&m, "session for %s closed", m.user);
        return PAM_SUCCESS;
}
