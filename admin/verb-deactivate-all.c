/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "homefsctl.h"

/* deactivate-all, for shutdown (and suspend where every key must go):
 * deactivate every active or locked home; one failure does not stop the
 * others. */
int verb_deactivate_all(const struct options *o, int argc, char **argv) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *reply = NULL, *homes;
        unsigned done = 0;
        int status = EXIT_OK;

        if (argc > 0)
                return usage_error("'deactivate-all' takes no arguments");
        if (agent_run(NULL, AGENT_INTERFACE ".List", json_object_new_object(), false, &reply, &e) < 0)
                return report_agent_error(&e, NULL);
        if (!json_object_object_get_ex(reply, "homes", &homes) || !json_object_is_type(homes, json_type_array))
                homes = NULL;

        for (size_t i = 0; homes && i < json_object_array_length(homes); i++) {
                struct json_object *h = json_object_array_get_idx(homes, i), *name, *state;

                if (!json_object_object_get_ex(h, "userName", &name) || !json_object_object_get_ex(h, "state", &state) ||
                    !(streq(json_object_get_string(state), "active") || streq(json_object_get_string(state), "locked")))
                        continue;
                if (deactivate_home(json_object_get_string(name)) != EXIT_OK)
                        status = EXIT_FAIL;
                else
                        done++;
        }
        json_object_put(reply);
        if (!o->quiet)
                printf("Deactivated %u home%s.\n", done, done == 1 ? "" : "s");
        return status;
}
