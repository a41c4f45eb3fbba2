/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "ask-password.h"
#include "homefsctl.h"
#include "log.h"
#include "secret.h"
#include "ssh-agent-unlock.h"
#include "unlock-flow.h"

static int ask_tty(void *userdata, const char *prompt, char **ret) {
        return password_source_read(userdata, prompt, ret);
}

static void tell(void *userdata, const char *message) {
        fprintf(stderr, "%s\n", message);
}

int unlock_interactive(const struct options *o, struct proto_conn *conn, const char *user, bool activate_only,
                       bool *already) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct password_source src;
        struct unlock_result res;
        int r;

        if (open_password_source(o, &src) < 0)
                return EXIT_FAIL;
        /* Retry a wrong password only where a person is typing. */
        r = unlock_flow_run(conn,
                            &(struct unlock_request) {
                                    .user_name = user,
                                    .tries = password_source_is_interactive(&src) ? 3 : 1,
                                    .recovery_key = o->ask_recovery_key,
                                    .activate_only = activate_only,
                            },
                            &(struct unlock_prompter) { .ask = ask_tty, .info = tell, .userdata = &src },
                            &res, &e);
        password_source_close(&src);
        if (r < 0 && e.origin == AGENT_ERROR_NONE) /* asking for the password failed */
                return report_password_error(r, o);
        if (r < 0)
                return report_agent_error(&e, user);
        secret_free(res.password);
        *already = res.already_unlocked;
        return EXIT_OK;
}

/* --ssh-agent: a key in the ssh-agent at SSH_AUTH_SOCK instead of a password. */
static int unlock_ssh_agent(struct proto_conn *conn, const char *user, bool *already) {
        _cleanup_agent_error_ struct agent_error e = {};
        char why[512];
        int r;

        r = ssh_agent_unlock(conn, user, getenv("SSH_AUTH_SOCK"), already, why, sizeof(why), &e);
        if (r == -ENOKEY && e.origin != AGENT_ERROR_REPLY) {
                if (why[0])
                        log_error("%s", why);
                else
                        log_error("the home of %s has no SSH key enrolled; enroll one with "
                                  "'homefsctl update %s --ssh-unlock-key=KEY'", user, user);
                return EXIT_FAIL;
        }
        return r < 0 ? report_agent_error(&e, user) : EXIT_OK;
}

static int unlock_or_activate(const struct options *o, const char *user, bool activate_only) {
        _cleanup_(proto_conn_freep) struct proto_conn *conn = NULL;
        _cleanup_agent_error_ struct agent_error e = {};
        bool already = false;
        int r;

        if (agent_connect(&conn, &e) < 0)
                return report_agent_error(&e, user);
        r = o->ssh_agent ? unlock_ssh_agent(conn, user, &already)
                         : unlock_interactive(o, conn, user, activate_only, &already);
        if (r != EXIT_OK)
                return r;

        if (o->json != JSON_OFF) {
                struct json_object *reply = json_object_new_object();

                json_object_object_add(reply, "userName", json_object_new_string(user));
                json_object_object_add(reply, "state", json_object_new_string("active"));
                json_object_object_add(reply, "alreadyActive", json_object_new_boolean(already));
                print_json(o, reply);
                json_object_put(reply);
        } else if (!o->quiet)
                printf(already ? "The home of %s was already active.\n" : "Unlocked the home of %s.\n", user);
        return EXIT_OK;
}

static int unlock_one(const struct options *o, const char *user) {
        return unlock_or_activate(o, user, false);
}

static int activate_one(const struct options *o, const char *user) {
        return unlock_or_activate(o, user, true);
}

/* unlock USER...: make each home usable whatever its state (activate an
 * inactive one, resume a locked one); the first failure's status (as
 * homectl). */
int verb_unlock(const struct options *o, int argc, char **argv) {
        return for_each_user(o, argc, argv, "unlock", false, unlock_one);
}

/* activate USER...: only inactive homes; a locked one stays locked. */
int verb_activate(const struct options *o, int argc, char **argv) {
        return for_each_user(o, argc, argv, "activate", false, activate_one);
}
