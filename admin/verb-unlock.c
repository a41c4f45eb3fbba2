/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "ask-password.h"
#include "homefsctl.h"
#include "log.h"
#include "secret.h"

int verb_unlock(const struct options *o, int argc, char **argv) {
        _cleanup_secret_ char *password = NULL;
        _cleanup_(proto_conn_freep) struct proto_conn *conn = NULL;
        _cleanup_agent_error_ struct agent_error e = {};
        struct password_source src;
        struct json_object *params, *reply = NULL;
        char prompt[256];
        const char *user;
        bool already = false;
        int r;

        user = verb_user(argc, argv, "unlock", false);
        if (!user)
                return EXIT_USAGE;
        if (agent_connect(&conn, &e) < 0)
                return report_agent_error(&e, user);

        r = password_source_open(&src, o->password_file);
        if (r < 0) {
                log_error_errno(r, "Cannot open %s: %m.", o->password_file);
                return EXIT_FAIL;
        }
        snprintf(prompt, sizeof(prompt), "Password for %s: ", user);
        r = password_source_read(&src, prompt, &password);
        password_source_close(&src);
        if (r < 0)
                return report_password_error(r, o);

        params = user_params(user);
        if (!params)
                return EXIT_FAIL;
        json_object_object_add(params, "password", json_object_new_string(password));
        r = agent_run(conn, AGENT_INTERFACE ".Unlock", params, true, &reply, &e);
        if (r < 0)
                return report_agent_error(&e, user);

        (void) proto_get_bool(reply, "alreadyUnlocked", &already);
        if (o->json != JSON_OFF)
                print_json(o, reply);
        else if (!o->quiet)
                printf(already ? "The home of %s was already unlocked.\n" : "Unlocked the home of %s.\n", user);
        json_object_put(reply);
        return EXIT_OK;
}
