/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "sshstub.h"

#define HOME_INFO_TIMEOUT_MS (60 * 1000)

int home_info_get(const char *user, struct home_info *info, struct agent_error *e) {
        _cleanup_(proto_conn_freep) struct proto_conn *c = NULL;
        struct json_object *params, *reply = NULL, *v, *record;
        int r;

        *info = (struct home_info) {};
        r = agent_connect(&c, e);
        if (r < 0)
                return r;
        /* Every SSH login that runs the stub asks this first, users homefs
         * does not manage too: a hung agent must not hang them (as pam's
         * timeout=). */
        c->call_timeout_ms = HOME_INFO_TIMEOUT_MS;
        params = json_object_new_object();
        if (!params)
                return -ENOMEM;
        json_object_object_add(params, "userName", json_object_new_string(user));
        r = agent_call(c, AGENT_INTERFACE ".Inspect", params, false, &reply, e);
        if (r == -ENOENT && e->origin == AGENT_ERROR_REPLY)
                return 0; /* not a homefs user */
        if (r < 0)
                return r;
        info->managed = true;
        info->active = json_object_object_get_ex(reply, "state", &v) && json_object_is_type(v, json_type_string) &&
                         streq(json_object_get_string(v), "active");
        if (json_object_object_get_ex(reply, "sessions", &v) && json_object_is_type(v, json_type_int))
                info->sessions = (long) json_object_get_int64(v);
        if (json_object_object_get_ex(reply, "record", &record) &&
            json_object_object_get_ex(record, "shell", &v) && json_object_is_type(v, json_type_string) &&
            json_object_get_string(v)[0] == '/') {
                info->shell = strdup(json_object_get_string(v));
                if (!info->shell)
                        r = -ENOMEM;
        }
        json_object_put(reply);
        return r < 0 ? r : 0;
}

void home_info_done(struct home_info *info) {
        free(info->shell);
        *info = (struct home_info) {};
}
