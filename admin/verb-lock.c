/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "homefsctl.h"

/* Lock with sessions kept: the key is wiped, the home stays mounted, its
 * users' processes are frozen; unlock resumes. */
int lock_home(const char *user) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *params, *reply = NULL;

        params = user_params(user);
        if (!params)
                return EXIT_FAIL;
        if (agent_run(NULL, AGENT_INTERFACE ".Lock", params, false, &reply, &e) < 0)
                return report_agent_error(&e, user);
        json_object_put(reply);
        return EXIT_OK;
}

static int lock_one(const struct options *o, const char *user) {
        int r = lock_home(user);

        if (r != EXIT_OK)
                return r;
        if (o->json != JSON_OFF) {
                struct json_object *reply = json_object_new_object();

                json_object_object_add(reply, "userName", json_object_new_string(user));
                json_object_object_add(reply, "state", json_object_new_string("locked"));
                print_json(o, reply);
                json_object_put(reply);
        } else if (!o->quiet)
                printf("Locked the home of %s; its sessions are kept. 'homefsctl unlock %s' resumes them.\n", user, user);
        return EXIT_OK;
}

/* lock USER...: every one, the first failure's status (as homectl). */
int verb_lock(const struct options *o, int argc, char **argv) {
        return for_each_user(o, argc, argv, "lock", false, lock_one);
}

static void print_names(const char *prefix, struct json_object *list, const char *suffix) {
        size_t n = list ? json_object_array_length(list) : 0;

        for (size_t i = 0; i < n; i++)
                printf("%s%s%s\n", prefix, json_object_get_string(json_object_array_get_idx(list, i)), suffix);
}

static struct json_object *reply_list(struct json_object *reply, const char *key) {
        struct json_object *v;

        return json_object_object_get_ex(reply, key, &v) && json_object_is_type(v, json_type_array) ? v : NULL;
}

/* Before system suspend: lock (sessions kept) every active home none of
 * whose login sessions opted out (pam_homefs suspend=). A home whose
 * processes could not be frozen is named; with --deactivate-unfrozen it is
 * deactivated instead, so that none of its processes can hang the system's
 * freeze waiting for the key. */
int verb_lock_all(const struct options *o, int argc, char **argv) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *reply = NULL, *locked, *not_frozen, *skipped, *failed;
        int status = EXIT_OK;

        if (argc > 0)
                return usage_error("'lock-all' takes no arguments");
        if (agent_run(NULL, AGENT_INTERFACE ".LockAll", json_object_new_object(), false, &reply, &e) < 0)
                return report_agent_error(&e, NULL);
        locked = reply_list(reply, "locked");
        not_frozen = reply_list(reply, "notFrozen");
        skipped = reply_list(reply, "skipped");
        failed = reply_list(reply, "failed");
        if (o->json != JSON_OFF)
                print_json(o, reply);
        else if (!o->quiet) {
                size_t n = locked ? json_object_array_length(locked) : 0;

                printf("Locked %zu home%s, sessions kept.\n", n, n == 1 ? "" : "s");
                print_names("Not locked: ", skipped, " has a login session without suspend=yes.");
        }
        print_names("Locking ", failed, " failed; see the agent's log.");
        if (failed && json_object_array_length(failed) > 0)
                status = EXIT_FAIL;
        for (size_t i = 0; not_frozen && i < json_object_array_length(not_frozen); i++) {
                const char *user = json_object_get_string(json_object_array_get_idx(not_frozen, i));

                fprintf(stderr, "the processes of %s could not be frozen (no cgroup holds them)%s\n", user,
                        o->deactivate_unfrozen ? "; deactivating it instead." : ".");
                if (o->deactivate_unfrozen && deactivate_home(user) != EXIT_OK)
                        status = EXIT_FAIL;
        }
        json_object_put(reply);
        return status;
}
