/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "homefsctl.h"

/* Lock with sessions kept: the key is wiped, the home stays mounted, its
 * users' processes are frozen; unlock resumes. */
int suspend_home(const char *user) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *params, *reply = NULL;

        params = user_params(user);
        if (!params)
                return EXIT_FAIL;
        if (agent_run(NULL, AGENT_INTERFACE ".Suspend", params, false, &reply, &e) < 0)
                return report_agent_error(&e, user);
        json_object_put(reply);
        return EXIT_OK;
}

int verb_suspend(const struct options *o, int argc, char **argv) {
        const char *user;
        int r;

        user = verb_user(argc, argv, "suspend", false);
        if (!user)
                return EXIT_USAGE;
        r = suspend_home(user);
        if (r == EXIT_OK && !o->quiet)
                printf("Locked the home of %s; its sessions are kept. 'homefsctl unlock %s' resumes them.\n", user, user);
        return r;
}
