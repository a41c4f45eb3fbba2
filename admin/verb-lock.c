/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "homefsctl.h"

int verb_lock(const struct options *o, int argc, char **argv) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *params, *reply = NULL;
        const char *user;
        int r;

        user = verb_user(argc, argv, "lock", false);
        if (!user)
                return EXIT_USAGE;

        params = user_params(user);
        if (!params)
                return EXIT_FAIL;
        r = agent_run(NULL, AGENT_INTERFACE ".Lock", params, false, &reply, &e);
        if (r < 0)
                return report_agent_error(&e, user);

        if (o->json != JSON_OFF)
                print_json(o, reply);
        else if (!o->quiet)
                printf("Locked the home of %s.\n", user);
        json_object_put(reply);
        return EXIT_OK;
}
