/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* queue [USER] [--clear]: the jobs run-when-unlocked queued for a home. */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "escape.h"
#include "homefsctl.h"

static void print_job(struct json_object *job) {
        struct json_object *id = NULL, *argv = NULL, *queued = NULL;
        char when[64] = "?";
        struct tm tm;
        time_t t;

        json_object_object_get_ex(job, "id", &id);
        json_object_object_get_ex(job, "argv", &argv);
        json_object_object_get_ex(job, "queuedUSec", &queued);
        t = (time_t) (json_object_get_uint64(queued) / 1000000);
        if (localtime_r(&t, &tm))
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
        printf("%s  %s ", json_object_get_string(id), when);
        for (size_t i = 0; argv && i < json_object_array_length(argv); i++) {
                _cleanup_free_ char *a = escape_dup(json_object_get_string(json_object_array_get_idx(argv, i)) ?: "");

                printf(" %s", a ?: "?");
        }
        printf("\n");
}

int verb_queue(const struct options *o, int argc, char **argv) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *reply = NULL, *jobs, *n;
        const char *user;
        size_t count;

        user = verb_user(argc, argv, "queue", true);
        if (!user)
                return EXIT_USAGE;
        if (agent_run(NULL, o->clear ? AGENT_INTERFACE ".ClearQueue" : AGENT_INTERFACE ".ListQueue",
                      user_params(user), false, &reply, &e) < 0)
                return report_agent_error(&e, user);

        if (o->json != JSON_OFF)
                print_json(o, reply);
        else if (o->clear) {
                if (!o->quiet && json_object_object_get_ex(reply, "removed", &n))
                        printf("Removed %s queued job%s of %s.\n", json_object_get_string(n),
                               json_object_get_int(n) == 1 ? "" : "s", user);
        } else if (json_object_object_get_ex(reply, "jobs", &jobs) && json_object_is_type(jobs, json_type_array)) {
                count = json_object_array_length(jobs);
                for (size_t i = 0; i < count; i++)
                        print_job(json_object_array_get_idx(jobs, i));
                if (o->legend)
                        printf("%s%zu job%s queued for %s.\n", count ? "\n" : "", count, count == 1 ? "" : "s", user);
        }
        json_object_put(reply);
        return EXIT_OK;
}
