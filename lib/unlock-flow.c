/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "secret.h"
#include "unlock-flow.h"

/* What one round asks for: the password (or recovery key), or a token PIN. */
enum secret_kind { ASK_PASSWORD, ASK_RECOVERY_KEY, ASK_PIN };

#define TOUCH_NOTICE "Touch your security key now."

static int call_unlock(struct proto_conn *c, const struct unlock_request *req, enum secret_kind kind, const char *secret,
                       bool presence_told, bool *already, struct agent_error *error) {
        struct json_object *params = json_object_new_object(), *reply = NULL;
        int r;

        if (!params)
                return -ENOMEM;
        json_object_object_add(params, "userName", json_object_new_string(req->user_name));
        if (secret)
                json_object_object_add(params, kind == ASK_PIN ? "pin" : "password", json_object_new_string(secret));
        if (presence_told)
                json_object_object_add(params, "tokenUserPresence", json_object_new_boolean(true));
        r = agent_call(c, req->activate_only ? AGENT_INTERFACE ".Activate" : AGENT_INTERFACE ".Unlock", params, true,
                       &reply, error);
        if (r >= 0)
                (void) proto_get_bool(reply, "alreadyActive", already);
        json_object_put(reply);
        return r;
}

static void say(const struct unlock_prompter *p, const char *msg) {
        if (p && p->info)
                p->info(p->userdata, msg);
}

static void make_prompt(enum secret_kind kind, const char *user, char *buf, size_t size) {
        if (kind == ASK_PIN)
                snprintf(buf, size, "Security token PIN for %s (empty for the password): ", user);
        else if (kind == ASK_RECOVERY_KEY)
                snprintf(buf, size, "Recovery key for %s: ", user);
        else
                snprintf(buf, size, "Password for %s: ", user);
}

/* Worth asking again after this failure? A wrong guess is; everything else
 * (rate limit, locked PIN, no such home, ...) would fail the same way. */
static bool retryable(int r, const struct agent_error *error, enum secret_kind kind) {
        if (error->origin != AGENT_ERROR_REPLY)
                return false;
        return kind == ASK_PIN ? r == -EBADE : r == -EPERM;
}

/* Ask for one kind of secret and call Unlock, up to tries times. A given
 * secret (first) counts as a try. -ENOKEY from a PIN round means the user
 * left the PIN empty to use the password instead. */
static int ask_loop(struct proto_conn *c, const struct unlock_request *req, const struct unlock_prompter *p,
                    enum secret_kind kind, const char *given, bool touch, struct unlock_result *res,
                    struct agent_error *error) {
        unsigned tries = req->tries ? req->tries : 1;
        char prompt[256];
        int r = -EINVAL;

        make_prompt(kind, req->user_name, prompt, sizeof(prompt));
        for (unsigned i = 0; i < tries; i++) {
                _cleanup_secret_ char *asked = NULL;
                const char *secret;

                if (i == 0 && given)
                        secret = given;
                else if (req->no_ask || !p || !p->ask)
                        break;
                else {
                        r = p->ask(p->userdata, prompt, &asked);
                        if (r < 0)
                                return r;
                        if (kind == ASK_PIN && asked[0] == 0)
                                return -ENOKEY;
                        secret = asked;
                }
                if (touch)
                        say(p, TOUCH_NOTICE);
                r = call_unlock(c, req, kind, secret, touch, &res->already_unlocked, error);
                if (r >= 0) {
                        if (kind != ASK_PIN)
                                res->password = secret_strdup(secret);
                        return 0;
                }
                if (!retryable(r, error, kind))
                        return r;
                if (i + 1 < tries && !req->no_ask)
                        say(p, kind == ASK_PIN ? "Wrong PIN, try again." : "Sorry, try again.");
        }
        return r;
}

int unlock_flow_run(struct proto_conn *c, const struct unlock_request *req, const struct unlock_prompter *p,
                    struct unlock_result *res, struct agent_error *error) {
        enum secret_kind kind = req->recovery_key ? ASK_RECOVERY_KEY : ASK_PASSWORD;
        int r;

        *res = (struct unlock_result) {};
        if (req->password || req->no_ask || req->recovery_key)
                return ask_loop(c, req, p, kind, req->password, false, res, error);

        /* Nothing known yet: let the agent say what it needs. A present
         * security token wants its PIN (and maybe a touch), a FIDO2 key
         * without PIN just a touch; otherwise, the password. */
        r = call_unlock(c, req, ASK_PASSWORD, NULL, false, &res->already_unlocked, error);
        if (r >= 0)
                return 0;
        if (error->origin != AGENT_ERROR_REPLY)
                return r;
        if (r == -ENOANO) {
                bool touch = false;

                (void) proto_get_bool(error->parameters, "userPresence", &touch);
                say(p, "Unlocking with the security token.");
                r = ask_loop(c, req, p, ASK_PIN, NULL, touch, res, error);
                if (r != -ENOKEY)
                        return r;
        } else if (r == -ENOMSG) {
                say(p, TOUCH_NOTICE);
                return call_unlock(c, req, ASK_PIN, NULL, true, &res->already_unlocked, error);
        } else if (r != -ENOKEY)
                return r;
        agent_error_clear(error);
        return ask_loop(c, req, p, ASK_PASSWORD, NULL, false, res, error);
}
