/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "ask-password.h"
#include "log.h"
#include "secret.h"
#include "ssh-agent-unlock.h"
#include "sshstub.h"
#include "unlock-flow.h"

#define TRIES 3

static int ask_tty(void *userdata, const char *prompt, char **ret) {
        int r = ask_password_tty(prompt, ret);

        /* EOF (Ctrl-D) is giving up too. */
        return r == -ENODATA ? -ECANCELED : r;
}

static void tell(void *userdata, const char *message) {
        fprintf(stderr, "%s\n", message);
}

int unlock_on_terminal(const char *user) {
        _cleanup_(proto_conn_freep) struct proto_conn *conn = NULL;
        _cleanup_agent_error_ struct agent_error e = {};
        char line[AGENT_ERROR_LINE_MAX];
        struct unlock_result res = {};
        int r;

        fprintf(stderr, "The home of %s is locked; enter your password to unlock it.\n", user);
        r = agent_connect(&conn, &e);
        if (r >= 0)
                r = unlock_flow_run(conn, &(struct unlock_request) { .user_name = user, .tries = TRIES },
                                    &(struct unlock_prompter) { .ask = ask_tty, .info = tell }, &res, &e);
        secret_free(res.password);
        if (r == -ECANCELED)
                return EXIT_FAILURE; /* Ctrl-C or Ctrl-D: nothing more to say */
        if (r < 0 && e.origin == AGENT_ERROR_NONE) {
                log_error("cannot read the password: %s", ask_password_strerror(r));
                return EXIT_FAILURE;
        }
        if (r < 0) {
                fprintf(stderr, "%s\n", agent_error_format(&e, user, line, sizeof(line)));
                return r == -EAGAIN ? EXIT_LOCKED : EXIT_FAILURE;
        }
        return 0;
}

int unlock_with_ssh_agent(const char *user) {
        _cleanup_(proto_conn_freep) struct proto_conn *conn = NULL;
        _cleanup_agent_error_ struct agent_error e = {};
        char line[AGENT_ERROR_LINE_MAX], why[512];
        bool already = false;
        int r;

        r = agent_connect(&conn, &e);
        if (r >= 0)
                r = ssh_agent_unlock(conn, user, getenv("SSH_AUTH_SOCK"), &already, why, sizeof(why), &e);
        if (r >= 0) {
                fprintf(stderr, "Unlocked the home of %s with the key in your SSH agent.\n", user);
                return 0;
        }
        if (r == -ENOKEY && e.origin != AGENT_ERROR_REPLY) {
                if (why[0]) /* keys are enrolled, none could be used: say why, once */
                        fprintf(stderr, "%s\n", why);
        } else
                fprintf(stderr, "%s\n", agent_error_format(&e, user, line, sizeof(line)));
        return r;
}
