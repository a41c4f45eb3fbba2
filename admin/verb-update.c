/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "homefsctl.h"
#include "log.h"

/* The size of a home changes with 'resize', which does more than edit the
 * record; say so rather than let the agent call the field read-only. */
static bool wants_resize(const struct options *o) {
        return o->disk_size_percent > 0 || (o->record && json_object_object_get_ex(o->record, "diskSize", NULL));
}

int verb_update(const struct options *o, int argc, char **argv) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *params, *changes = NULL, *reply = NULL;
        const char *user;
        int r;

        user = verb_user(argc, argv, "update", false);
        if (!user)
                return EXIT_USAGE;
        if (wants_resize(o))
                return usage_error("The disk size is changed with 'homefsctl resize %s SIZE'.", user);
        if (!o->record || json_object_object_length(o->record) == 0)
                return usage_error("'update' needs at least one record option, e.g. --real-name=NAME.");

        params = user_params(user);
        if (!params || json_object_deep_copy(o->record, &changes, NULL) < 0) {
                json_object_put(params);
                log_error("Out of memory.");
                return EXIT_FAIL;
        }
        json_object_object_add(params, "changes", changes);
        r = agent_run(NULL, AGENT_INTERFACE ".Update", params, false, &reply, &e);
        if (r < 0)
                return report_agent_error(&e, user);

        if (o->json != JSON_OFF)
                print_json(o, reply);
        else if (!o->quiet)
                printf("Updated the record of %s.\n", user);
        json_object_put(reply);
        return EXIT_OK;
}
