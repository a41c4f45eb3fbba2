/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "agent-error.h"
#include "proto.h"

int agent_error_set(struct agent_error *e, int r, const char *name, const char *fmt, ...) {
        va_list ap;

        if (!e || e->name)
                return r;
        e->name = name;
        e->error = r;
        errno = r < 0 ? -r : r;
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof(e->message), fmt, ap);
        va_end(ap);
        return r;
}

struct json_object *agent_error_reply(const struct agent_error *e, int r) {
        struct json_object *p = json_object_new_object();

        if (!e->name) {
                char msg[256];

                snprintf(msg, sizeof(msg), "The agent failed: %s. See the agent's log.", strerror(r < 0 ? -r : EIO));
                json_object_object_add(p, "message", json_object_new_string(msg));
                json_object_object_add(p, "errno", json_object_new_int(r < 0 ? -r : EIO));
                return proto_error_new(AGENT_ERROR_FAILED, p);
        }
        json_object_object_add(p, "message", json_object_new_string(e->message));
        if (e->parameter)
                json_object_object_add(p, "parameter", json_object_new_string(e->parameter));
        if (e->retry_after_usec)
                json_object_object_add(p, "retryAfterUSec", json_object_new_uint64(e->retry_after_usec));
        if (e->token_type)
                json_object_object_add(p, "tokenType", json_object_new_string(e->token_type));
        if (e->retries_left > 0)
                json_object_object_add(p, "retriesLeft", json_object_new_int(e->retries_left));
        if (e->user_presence)
                json_object_object_add(p, "userPresence", json_object_new_boolean(true));
        if (e->final_try)
                json_object_object_add(p, "finalTry", json_object_new_boolean(true));
        if (streq(e->name, AGENT_ERROR_FAILED))
                json_object_object_add(p, "errno", json_object_new_int(e->error < 0 ? -e->error : EIO));
        return proto_error_new(e->name, p);
}
