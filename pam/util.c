/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <security/pam_ext.h>
#include <syslog.h>

#include "json-util.h"
#include "macro.h"
#include "pam-homefs.h"

int pam_homefs_connect(struct pam_homefs *m, struct proto_conn **ret, struct agent_error *e) {
        int r = agent_connect_runtime_dir(m->runtime_dir, ret, e);

        if (r >= 0)
                (*ret)->call_timeout_ms = (int) m->timeout_sec * 1000;
        return r;
}

int pam_homefs_lookup(struct pam_homefs *m, struct user_record **ret) {
        _cleanup_(proto_conn_freep) struct proto_conn *c = NULL;
        _cleanup_json_ struct json_object *reply = NULL;
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *params, *record;
        int r;

        r = pam_homefs_connect(m, &c, &e);
        if (r >= 0) {
                params = json_object_new_object();
                if (!params)
                        return PAM_BUF_ERR;
                json_object_object_add(params, "userName", json_object_new_string(m->user));
                r = agent_call(c, AGENT_INTERFACE ".Inspect", params, false, &reply, &e);
        }
        if (r == -ENOENT && e.origin == AGENT_ERROR_REPLY)
                return PAM_USER_UNKNOWN;
        if (r == -EACCES && e.origin == AGENT_ERROR_REPLY)
                return PAM_USER_UNKNOWN; /* not ours to know, as for pam_unix */
        if (r < 0)
                return pam_homefs_error(m, &e, 'l');
        if (!ret)
                return PAM_SUCCESS;
        if (!json_object_object_get_ex(reply, "record", &record) ||
            user_record_from_json(record, "agent", ret, NULL) < 0) {
                pam_syslog(m->pamh, LOG_ERR, "the agent sent an invalid record for %s", m->user);
                return PAM_SYSTEM_ERR;
        }
        return PAM_SUCCESS;
}

/* The PAM code for an agent error, by function type. */
static int pam_code(const struct agent_error *e, char type) {
        if (e->origin == AGENT_ERROR_CONNECT)
                return type == 's' ? PAM_SESSION_ERR : type == 'c' ? PAM_AUTHTOK_ERR : PAM_AUTHINFO_UNAVAIL;
        if (e->origin != AGENT_ERROR_REPLY)
                return type == 's' ? PAM_SESSION_ERR : PAM_SYSTEM_ERR;
        switch (-e->errnum) {
        case ENOENT:
        case EACCES:
                return PAM_USER_UNKNOWN;
        case EPERM:
                return type == 'c' ? PAM_AUTHTOK_ERR : type == 's' ? PAM_SESSION_ERR : PAM_AUTH_ERR;
        case EAGAIN:
                return type == 'c' ? PAM_AUTHTOK_ERR : type == 's' ? PAM_SESSION_ERR : PAM_MAXTRIES;
        case EKEYREVOKED:
        case EKEYEXPIRED:
                return type == 'c' ? PAM_AUTHTOK_ERR : type == 's' ? PAM_SESSION_ERR : PAM_AUTH_ERR;
        case ENOMEDIUM:
                return type == 's' ? PAM_SESSION_ERR : type == 'c' ? PAM_AUTHTOK_ERR : PAM_AUTHINFO_UNAVAIL;
        default:
                return type == 's' ? PAM_SESSION_ERR : type == 'c' ? PAM_AUTHTOK_ERR : PAM_AUTH_ERR;
        }
}

int pam_homefs_error(struct pam_homefs *m, const struct agent_error *e, char type) {
        char line[AGENT_ERROR_LINE_MAX];
        int code = pam_code(e, type);

        if (code == PAM_USER_UNKNOWN)
                return code;
        agent_error_format(e, m->user, line, sizeof(line));
        pam_syslog(m->pamh, e->errnum == -EPERM ? LOG_NOTICE : LOG_ERR, "%s", line);
        pam_error(m->pamh, "%s", line);
        return code;
}
