/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "secret.h"
#include "unlock-flow.h"

static int call_unlock(struct proto_conn *c, const char *user, const char *password, bool *already,
                       struct agent_error *error) {
        struct json_object *params = json_object_new_object(), *reply = NULL;
        int r;

        if (!params)
                return -ENOMEM;
        json_object_object_add(params, "userName", json_object_new_string(user));
        json_object_object_add(params, "password", json_object_new_string(password));
        r = agent_call(c, AGENT_INTERFACE ".Unlock", params, true, &reply, error);
        if (r >= 0)
                (void) proto_get_bool(reply, "alreadyUnlocked", already);
        json_object_put(reply);
        return r;
}

static void say(const struct unlock_prompter *p, const char *msg) {
        if (p && p->info)
                p->info(p->userdata, msg);
}

int unlock_flow_run(struct proto_conn *c, const struct unlock_request *req, const struct unlock_prompter *p,
                    struct unlock_result *res, struct agent_error *error) {
        unsigned tries = req->tries ? req->tries : 1;
        char prompt[256];
        int r = -EINVAL;

        *res = (struct unlock_result) {};
        snprintf(prompt, sizeof(prompt), "Password for %s: ", req->user_name);

        for (unsigned i = 0; i < tries; i++) {
                _cleanup_secret_ char *asked = NULL;
                const char *password;

                if (i == 0 && req->password)
                        password = req->password;
                else if (req->no_ask || !p || !p->ask)
                        break;
                else {
                        r = p->ask(p->userdata, prompt, &asked);
                        if (r < 0)
                                return r;
                        password = asked;
                }
                r = call_unlock(c, req->user_name, password, &res->already_unlocked, error);
                if (r >= 0) {
                        res->password = secret_strdup(password);
                        return 0;
                }
                /* Only a wrong password is worth another try; everything else
                 * (rate limit, no such home, ...) would fail the same way. */
                if (r != -EPERM || error->origin != AGENT_ERROR_REPLY)
                        return r;
                if (i + 1 < tries && !req->no_ask)
                        say(p, "Sorry, try again.");
        }
        return r;
}
