/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "agent-session.h"

int agent_session_acquire(struct proto_conn *c, const char *user_name, const char *password, bool suspend,
                          bool *already, struct agent_error *error) {
        struct json_object *params = json_object_new_object(), *reply = NULL;
        int r;

        if (!params)
                return -ENOMEM;
        json_object_object_add(params, "userName", json_object_new_string(user_name));
        if (password)
                json_object_object_add(params, "password", json_object_new_string(password));
        if (suspend)
                json_object_object_add(params, "suspend", json_object_new_boolean(true));
        r = agent_call(c, AGENT_INTERFACE ".AcquireSession", params, password != NULL, &reply, error);
        if (r >= 0 && already)
                (void) proto_get_bool(reply, "alreadyActive", already);
        json_object_put(reply);
        return r;
}

int agent_session_release(struct proto_conn *c, struct agent_error *error) {
        struct json_object *reply = NULL;
        int r;

        r = agent_call(c, AGENT_INTERFACE ".ReleaseSession", NULL, false, &reply, error);
        json_object_put(reply);
        return r;
}
