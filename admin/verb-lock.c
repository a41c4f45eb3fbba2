/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "homefsctl.h"

int lock_home(const char *user) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *params;

        params = user_params(user);
        if (!params)
                return EXIT_FAIL;
        if (agent_run(NULL, AGENT_INTERFACE ".Lock", params, false, NULL, &e) < 0)
                return report_agent_error(&e, user);
        return EXIT_OK;
}

int verb_lock(const struct options *o, int argc, char **argv) {
        const char *user;
        int r;

        user = verb_user(argc, argv, "lock", false);
        if (!user)
                return EXIT_USAGE;
        r = lock_home(user);
        if (r != EXIT_OK)
                return r;

        if (o->json != JSON_OFF) {
                struct json_object *reply = json_object_new_object();

                json_object_object_add(reply, "state", json_object_new_string("locked"));
                print_json(o, reply);
                json_object_put(reply);
        } else if (!o->quiet)
                printf("Locked the home of %s.\n", user);
        return EXIT_OK;
}
