/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "homefsctl.h"
#include "log.h"

static int remove_one(const struct options *o, const char *user) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *params;
        const char *name;
        int r;

        params = user_params(user);
        if (!params)
                return EXIT_FAIL;
        json_object_object_add(params, "force", json_object_new_boolean(o->force));
        r = agent_run(NULL, AGENT_INTERFACE ".Remove", params, false, NULL, &e);
        if (r < 0) {
                name = agent_error_short_name(&e);
                if (name && streq(name, "HomeBusy") && !o->force) {
                        /* Here there is something better to do than wait. */
                        log_error("the home of %s is in use; deactivate it first with 'homefsctl deactivate %s', "
                                  "or pass --force", user, user);
                        return exit_status_from_agent_error(&e);
                }
                return report_agent_error(&e, user);
        }
        if (!o->quiet)
                printf("Removed the home of %s.\n", user);
        return EXIT_OK;
}

/* remove USER...: every one, the first failure's status (as homectl). */
int verb_remove(const struct options *o, int argc, char **argv) {
        return for_each_user(o, argc, argv, "remove", false, remove_one);
}
