/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "audit.h"
#include "log.h"
#include "macro.h"
#include "proto.h"
#include "record.h"

static const char *const audited[] = {
        "io.homefs.Agent.Unlock", "io.homefs.Agent.Authenticate", "io.homefs.Agent.Passwd",
        "io.homefs.Agent.AcquireSession",
};

static bool has(struct json_object *params, const char *key) {
        struct json_object *v;

        return params && json_object_object_get_ex(params, key, &v) && json_object_is_type(v, json_type_string);
}

void audit_failed_attempt(const char *method, struct json_object *params, uid_t uid, pid_t pid,
                          const struct agent_error *e, int r) {
        const char *kind, *user = NULL, *short_name;
        bool found = false;
        struct json_object *v;

        for (size_t i = 0; i < ELEMENTSOF(audited); i++)
                found = found || streq(method, audited[i]);
        if (!found)
                return;
        kind = has(params, "pin")        ? "pin"
               : has(params, "password") ? "password"
               : params && json_object_object_get_ex(params, "sshAgentSignature", &v) ? "ssh-agent signature"
                                                                                       : NULL;
        /* Without a secret only a refusal counts (rate limit, account): the
         * rest is a question for the client to answer. */
        if (!kind && r != -EAGAIN && r != -EKEYREVOKED && r != -EKEYEXPIRED)
                return;
        if (params && json_object_object_get_ex(params, "userName", &v) && json_object_is_type(v, json_type_string) &&
            user_name_is_valid(json_object_get_string(v)))
                user = json_object_get_string(v);
        short_name = e->name && strrchr(e->name, '.') ? strrchr(e->name, '.') + 1 : "Failed";
        log_warning("failed %s attempt: user %s, method %s, caller uid %u pid %d: %s", method + strlen("io.homefs.Agent."),
                    user ? user : "(invalid name)", kind ? kind : "token", (unsigned) uid, (int) pid, short_name);
}
