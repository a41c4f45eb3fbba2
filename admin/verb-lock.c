/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "escape.h"
#include "homefsctl.h"

/* Lock cannot take back pages a process has already mapped: name those
 * processes. The command name is chosen by each process: print it tamed. */
static void print_mapped_by(struct json_object *reply) {
        struct json_object *list;
        size_t n;

        if (!json_object_object_get_ex(reply, "mappedBy", &list) || !json_object_is_type(list, json_type_array))
                return;
        n = json_object_array_length(list);
        if (n == 0)
                return;
        printf("These processes still have home files mapped into memory; pages they have\n"
               "read stay readable to them until they exit:\n");
        for (size_t k = 0; k < n; k++) {
                struct json_object *o = json_object_array_get_idx(list, k), *pid, *comm;
                char name[128];

                if (!json_object_object_get_ex(o, "pid", &pid) || !json_object_object_get_ex(o, "command", &comm))
                        continue;
                escape_to(name, sizeof(name), json_object_get_string(comm) ?: "?");
                printf("  %d %s\n", json_object_get_int(pid), name);
        }
}

/* Lock one home; the agent's reply in *ret if ret is not NULL. Shared by
 * lock, lock-all and with. */
static int lock_home_reply(const char *user, struct json_object **ret) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *params, *reply = NULL;

        params = user_params(user);
        if (!params)
                return EXIT_FAIL;
        if (agent_run(NULL, AGENT_INTERFACE ".Lock", params, false, &reply, &e) < 0)
                return report_agent_error(&e, user);
        if (ret)
                *ret = reply;
        else
                json_object_put(reply);
        return EXIT_OK;
}

int lock_home(const char *user) {
        struct json_object *reply = NULL;
        int r = lock_home_reply(user, &reply);

        if (r == EXIT_OK)
                print_mapped_by(reply);
        json_object_put(reply);
        return r;
}

static int lock_one(const struct options *o, const char *user) {
        struct json_object *reply = NULL;
        int r;

        r = lock_home_reply(user, &reply);
        if (r != EXIT_OK)
                return r;

        if (o->json != JSON_OFF) {
                json_object_object_add(reply, "userName", json_object_new_string(user));
                print_json(o, reply);
        }
        else if (!o->quiet) {
                printf("Locked the home of %s.\n", user);
                print_mapped_by(reply);
        }
        json_object_put(reply);
        return EXIT_OK;
}

/* lock USER...: every one, the first failure's status (as homectl). */
int verb_lock(const struct options *o, int argc, char **argv) {
        return for_each_user(o, argc, argv, "lock", false, lock_one);
}
