/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "ask-password.h"
#include "homefsctl.h"
#include "log.h"
#include "secret.h"

/* Check a password with the agent; the home's state does not change. */
static int authenticate_one(const struct options *o, const char *user) {
        _cleanup_(proto_conn_freep) struct proto_conn *conn = NULL;
        _cleanup_agent_error_ struct agent_error e = {};
        _cleanup_secret_ char *password = NULL;
        struct json_object *params;
        int r;

        r = connect_and_ask_password(o, user, &conn, &password);
        if (r != EXIT_OK)
                return r;

        params = user_params(user);
        if (!params)
                return EXIT_FAIL;
        json_object_object_add(params, "password", json_object_new_string(password));
        r = agent_run(conn, AGENT_INTERFACE ".Authenticate", params, true, NULL, &e);
        if (r < 0)
                return report_agent_error(&e, user);
        if (!o->quiet)
                printf("The password of %s is correct.\n", user);
        return EXIT_OK;
}

/* authenticate [USER...]: every one, the first failure's status (as homectl). */
int verb_authenticate(const struct options *o, int argc, char **argv) {
        return for_each_user(o, argc, argv, "authenticate", true, authenticate_one);
}
