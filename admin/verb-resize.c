/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "homefsctl.h"
#include "log.h"
#include "parse-args.h"
#include "secret.h"
#include "size.h"

/* The size argument: bytes with a suffix, "min" or "max" (as homectl). */
static struct json_object *size_value(const char *s, uint64_t *bytes) {
        *bytes = 0;
        if (streq(s, "min") || streq(s, "max"))
                return json_object_new_string(s);
        if (parse_size(s, bytes) < 0 || *bytes == 0)
                return NULL;
        return json_object_new_uint64(*bytes);
}

/* Shrinking activates the image while locked, so it needs the password;
 * whether this is a shrink, the current size says. */
static int is_shrink(const char *user, const char *arg, uint64_t bytes, bool *ret) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *reply = NULL, *state;
        unsigned long long current = 0;

        if (agent_run(NULL, AGENT_INTERFACE ".Inspect", user_params(user), false, &reply, &e) < 0)
                return report_agent_error(&e, user);
        (void) proto_get_u64(reply, "diskSize", &current);
        *ret = (streq(arg, "min") || (bytes > 0 && bytes < current)) &&
               !(json_object_object_get_ex(reply, "state", &state) && streq(json_object_get_string(state), "active"));
        json_object_put(reply);
        return EXIT_OK;
}

int verb_resize(const struct options *o, int argc, char **argv) {
        _cleanup_agent_error_ struct agent_error e = {};
        _cleanup_secret_ char *password = NULL;
        struct json_object *params, *size, *reply = NULL;
        unsigned long long reached = 0;
        char prompt[256], buf[32];
        uint64_t bytes;
        bool shrink = false;
        int r;

        if (argc != 2 || argv[0][0] == 0)
                return usage_error("'resize' needs a user name and a size: homefsctl resize USER SIZE|min|max");
        size = size_value(argv[1], &bytes);
        if (!size)
                return usage_error("invalid size '%s': expected a size like 512M or 10G, 'min' or 'max'", argv[1]);
        json_object_put(size);
        r = is_shrink(argv[0], argv[1], bytes, &shrink);
        if (r != EXIT_OK)
                return r;
        if (shrink) {
                snprintf(prompt, sizeof(prompt), "Password for %s: ", argv[0]);
                r = ask_password(o, prompt, NULL, &password);
                if (r != EXIT_OK)
                        return r;
        }

        params = user_params(argv[0]);
        if (!params)
                return EXIT_FAIL;
        json_object_object_add(params, "diskSize", size_value(argv[1], &bytes));
        if (password)
                json_object_object_add(params, "password", json_object_new_string(password));
        if (o->allow_overcommit)
                json_object_object_add(params, "allowOvercommit", json_object_new_boolean(true));
        if (!o->quiet && o->json == JSON_OFF)
                progress_begin(shrink ? "Checking and shrinking the filesystem" : "Growing the image");
        r = agent_run(NULL, AGENT_INTERFACE ".Resize", params, password != NULL, &reply, &e);
        progress_end();
        if (r < 0)
                return report_agent_error(&e, argv[0]);

        if (o->json != JSON_OFF)
                print_json(o, reply);
        else if (!o->quiet && proto_get_u64(reply, "diskSize", &reached) == 0)
                printf("Resized the home of %s to %s.\n", argv[0], format_size(buf, sizeof(buf), reached));
        warn_overcommitted(reply);
        if (!o->quiet && o->json == JSON_OFF && json_object_object_get_ex(reply, "fileSystemPending", &size) &&
            json_object_get_boolean(size))
                printf("The filesystem inside grows at the next unlock (the kernel refused to grow it online).\n");
        json_object_put(reply);
        return EXIT_OK;
}
