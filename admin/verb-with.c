/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "homefsctl.h"
#include "log.h"

/* Run the command as the caller and return its exit status the way a shell
 * does (128+N for a signal). Like system(), ignore SIGINT and SIGQUIT while
 * it runs: they are for the command, and we still have to lock afterwards. */
static int run_command(char **cmd) {
        struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
        int status;
        pid_t pid;

        sigaction(SIGINT, &ign, &old_int);
        sigaction(SIGQUIT, &ign, &old_quit);
        pid = fork();
        if (pid == 0) {
                sigaction(SIGINT, &old_int, NULL);
                sigaction(SIGQUIT, &old_quit, NULL);
                execvp(cmd[0], cmd);
                log_error_errno(errno, "cannot run %s: %m", cmd[0]);
                _exit(errno == ENOENT ? 127 : 126);
        }
        if (pid < 0) {
                log_error_errno(errno, "cannot start %s: %m", cmd[0]);
                status = EXIT_FAIL;
        } else {
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
                status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        return status;
}

/* How many login sessions hold the home (0 if that cannot be told). */
static int64_t home_sessions(const char *user) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *params = user_params(user), *reply = NULL, *v;
        int64_t n = 0;

        if (!params || agent_run(NULL, AGENT_INTERFACE ".Inspect", params, false, &reply, &e) < 0)
                return 0;
        if (json_object_object_get_ex(reply, "sessions", &v))
                n = json_object_get_int64(v);
        json_object_put(reply);
        return n;
}

/* with USER [--] CMD [ARGS...]: unlock, run, and lock again unless the home
 * was unlocked before or a login session holds it now. */
int verb_with(const struct options *o, int argc, char **argv) {
        _cleanup_(proto_conn_freep) struct proto_conn *conn = NULL;
        _cleanup_agent_error_ struct agent_error e = {};
        char *shell[] = { NULL, NULL };
        char **cmd;
        bool already = false;
        int r, status;

        if (argc < 1 || argv[0][0] == 0)
                return usage_error("'with' needs a user name: homefsctl with USER -- COMMAND...");
        cmd = argv + 1;
        if (cmd[0] && streq(cmd[0], "--"))
                cmd++;
        if (!cmd[0]) { /* no command: the caller's shell, as homectl does */
                shell[0] = getenv("SHELL");
                if (!shell[0] || shell[0][0] != '/')
                        shell[0] = (char *) "/bin/sh";
                cmd = shell;
        }
        if (agent_connect(&conn, &e) < 0)
                return report_agent_error(&e, argv[0]);
        r = unlock_interactive(o, conn, argv[0], false, &already);
        if (r != EXIT_OK)
                return r;

        status = run_command(cmd);
        if (!already && home_sessions(argv[0]) > 0) {
                if (!o->quiet)
                        fprintf(stderr, "a login session holds the home of %s: it stays unlocked\n", argv[0]);
        } else if (!already && deactivate_home(argv[0]) != EXIT_OK)
                log_error("the home of %s is still active; deactivate it with 'homefsctl deactivate %s'", argv[0], argv[0]);
        return status;
}
