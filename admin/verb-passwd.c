/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "ask-password.h"
#include "homefsctl.h"
#include "log.h"
#include "secret.h"

/* Current password, then the new one: from the terminal (the new one twice),
 * or lines 1 and 2 of standard input or of --password-file. */
static int read_passwords(const struct options *o, const char *user, char **current, char **new_password) {
        struct password_source src;
        char prompt[256], new_prompt[256];
        int r;

        if (open_password_source(o, &src) < 0)
                return EXIT_FAIL;
        snprintf(prompt, sizeof(prompt), "Current password for %s: ", user);
        snprintf(new_prompt, sizeof(new_prompt), "New password for %s: ", user);
        r = password_source_read(&src, prompt, current);
        if (r >= 0)
                r = password_source_read_new(&src, new_prompt, "Repeat the new password: ", new_password);
        password_source_close(&src);
        if (r < 0)
                return report_password_error(r, o);
        return EXIT_OK;
}

int verb_passwd(const struct options *o, int argc, char **argv) {
        _cleanup_secret_ char *current = NULL, *new_password = NULL;
        _cleanup_(proto_conn_freep) struct proto_conn *conn = NULL;
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *params;
        const char *user;
        int r;

        user = verb_user(argc, argv, "passwd", true);
        if (!user)
                return EXIT_USAGE;
        if (agent_connect(&conn, &e) < 0)
                return report_agent_error(&e, user);

        r = read_passwords(o, user, &current, &new_password);
        if (r == EXIT_OK)
                r = password_quality_check(o, user, current, new_password);
        if (r != EXIT_OK)
                return r;

        params = user_params(user);
        if (!params)
                return EXIT_FAIL;
        json_object_object_add(params, "password", json_object_new_string(current));
        json_object_object_add(params, "newPassword", json_object_new_string(new_password));
        r = agent_run(conn, AGENT_INTERFACE ".Passwd", params, true, NULL, &e);
        if (r < 0)
                return report_agent_error(&e, user);
        if (!o->quiet)
                printf("Changed the password of %s.\n", user);
        return EXIT_OK;
}
