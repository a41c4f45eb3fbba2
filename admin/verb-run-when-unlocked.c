/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* run-when-unlocked [--drop-if-locked] -- CMD [ARGS...], for crontabs: run
 * CMD now if the caller's home is active, else queue it with the agent to
 * run right after the next unlock (or, with --drop-if-locked, exit 75). */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <unistd.h>

#include "homefsctl.h"
#include "log.h"

#define EXIT_TEMPFAIL 75 /* sysexits.h EX_TEMPFAIL: cron may try again */

static int home_state(const char *user, char *buf, size_t size) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *reply = NULL, *v;
        int r;

        r = agent_run(NULL, AGENT_INTERFACE ".Inspect", user_params(user), false, &reply, &e);
        if (r < 0)
                return report_agent_error(&e, user);
        snprintf(buf, size, "%s", json_object_object_get_ex(reply, "state", &v) ? json_object_get_string(v) : "");
        json_object_put(reply);
        return EXIT_OK;
}

static int enqueue(const struct options *o, const char *user, char **cmd) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *params = user_params(user), *argv = json_object_new_array(), *reply = NULL, *id;
        int r;

        if (!params || !argv) {
                json_object_put(params);
                json_object_put(argv);
                return EXIT_FAIL;
        }
        for (char **a = cmd; *a; a++)
                json_object_array_add(argv, json_object_new_string(*a));
        json_object_object_add(params, "argv", argv);
        r = agent_run(NULL, AGENT_INTERFACE ".Enqueue", params, false, &reply, &e);
        if (r < 0)
                return report_agent_error(&e, user);
        if (!o->quiet && json_object_object_get_ex(reply, "id", &id))
                fprintf(stderr, "the home of %s is locked; queued %s as job %s, to run after the next unlock\n",
                        user, cmd[0], json_object_get_string(id));
        json_object_put(reply);
        return EXIT_OK;
}

int verb_run_when_unlocked(const struct options *o, int argc, char **argv) {
        struct passwd *pw = getpwuid(getuid());
        char state[32];
        int r;

        if (argc > 0 && streq(argv[0], "--"))
                argc--, argv++;
        if (argc < 1)
                return usage_error("'run-when-unlocked' needs a command: homefsctl run-when-unlocked -- CMD [ARGS...]");
        if (!pw)
                return usage_error("cannot find the name of uid %u", (unsigned) getuid());
        r = home_state(pw->pw_name, state, sizeof(state));
        if (r != EXIT_OK)
                return r;
        if (streq(state, "active")) {
                execvp(argv[0], argv);
                log_error_errno(errno, "cannot run %s: %m", argv[0]);
                return errno == ENOENT ? 127 : 126;
        }
        if (o->drop_if_locked) {
                if (!o->quiet)
                        fprintf(stderr, "the home of %s is locked; not running %s (--drop-if-locked)\n", pw->pw_name, argv[0]);
                return EXIT_TEMPFAIL;
        }
        return enqueue(o, pw->pw_name, argv);
}
