/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "ask-password.h"
#include "homefsctl.h"
#include "log.h"

int agent_run(struct proto_conn *conn, const char *method, struct json_object *params, bool secret,
              struct json_object **ret, struct agent_error *error) {
        _cleanup_(proto_conn_freep) struct proto_conn *own = NULL;
        struct json_object *reply = NULL;
        int r;

        if (!conn) {
                r = agent_connect(&own, error);
                if (r < 0) {
                        /* agent_call() did not get to take these over and wipe them. */
                        if (secret) {
                                proto_wipe_string(params, "password");
                                proto_wipe_string(params, "newPassword");
                        }
                        json_object_put(params);
                        return r;
                }
                conn = own;
        }
        r = agent_call(conn, method, params, secret, &reply, error);
        if (r < 0)
                return r;
        if (ret)
                *ret = reply;
        else
                json_object_put(reply);
        return 0;
}

int exit_status_from_agent_error(const struct agent_error *e) {
        const char *name = agent_error_short_name(e);

        switch (e->origin) {
        case AGENT_ERROR_CONNECT:
                return EXIT_NO_AGENT;
        case AGENT_ERROR_TRANSPORT:
                return e->errnum == -ECONNRESET || e->errnum == -EPIPE ? EXIT_NO_AGENT : EXIT_FAIL;
        case AGENT_ERROR_REPLY:
                if (!name)
                        return EXIT_FAIL;
                if (streq(name, "BadCredentials") || streq(name, "BadPin") || streq(name, "PinLocked"))
                        return EXIT_BAD_CREDENTIALS;
                if (streq(name, "NoSuchHome"))
                        return EXIT_NO_SUCH_HOME;
                if (streq(name, "RateLimited") || streq(name, "HomeBusy"))
                        return EXIT_BUSY;
                return EXIT_FAIL;
        default:
                return EXIT_FAIL;
        }
}

int report_agent_error(const struct agent_error *e, const char *user_name) {
        char line[AGENT_ERROR_LINE_MAX];

        log_error("%s", agent_error_format(e, user_name, line, sizeof(line)));
        return exit_status_from_agent_error(e);
}

int open_password_source(const struct options *o, struct password_source *src) {
        int r = password_source_open(src, o->password_file);

        if (r < 0) {
                log_error_errno(r, "cannot open %s: %m", o->password_file);
                return r;
        }
        /* --no-ask-password: a password file or piped standard input still
         * serves, but nobody is asked on the terminal. */
        if (o->no_ask_password && password_source_is_interactive(src)) {
                password_source_close(src);
                log_error("a password is needed and --no-ask-password forbids asking for it; "
                          "give it with --password-file or on standard input");
                return -EACCES;
        }
        return 0;
}

int report_password_error(int r, const struct options *o) {
        if (r == -ECANCELED)
                log_error("cancelled");
        else if (o->password_file)
                log_error("cannot read the password from %s: %s", o->password_file, ask_password_strerror(r));
        else
                log_error("%s", ask_password_strerror(r));
        return EXIT_FAIL;
}

int ask_password(const struct options *o, const char *prompt, const char *repeat_prompt, char **ret) {
        struct password_source src;
        int r;

        if (open_password_source(o, &src) < 0)
                return EXIT_FAIL;
        if (repeat_prompt)
                r = password_source_read_new(&src, prompt, repeat_prompt, ret);
        else
                r = password_source_read(&src, prompt, ret);
        password_source_close(&src);
        return r < 0 ? report_password_error(r, o) : EXIT_OK;
}

int usage_error(const char *fmt, ...) {
        char buf[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        log_error("%s; see 'homefsctl --help'", buf);
        return EXIT_USAGE;
}

const char *verb_user(int argc, char **argv, const char *verb, bool default_self) {
        struct passwd *pw;

        if (argc > 1) {
                usage_error("too many arguments for '%s': it takes one user name", verb);
                return NULL;
        }
        if (argc == 1) {
                if (argv[0][0] == 0) {
                        usage_error("the user name for '%s' is empty", verb);
                        return NULL;
                }
                return argv[0];
        }
        if (!default_self) {
                usage_error("'%s' needs a user name", verb);
                return NULL;
        }
        pw = getpwuid(getuid());
        if (!pw) {
                usage_error("cannot find the name of uid %u; give the user name", (unsigned) getuid());
                return NULL;
        }
        return pw->pw_name;
}

int for_each_user(const struct options *o, int argc, char **argv, const char *verb, bool default_self,
                  int (*fn)(const struct options *o, const char *user)) {
        const char *user;
        int status = EXIT_OK;

        if (argc <= 1) {
                user = verb_user(argc, argv, verb, default_self);
                return user ? fn(o, user) : EXIT_USAGE;
        }
        for (int i = 0; i < argc; i++)
                if (argv[i][0] == 0)
                        return usage_error("a user name for '%s' is empty", verb);
        /* As homectl: every user is tried; the first failure is the exit status. */
        for (int i = 0; i < argc; i++) {
                int r = fn(o, argv[i]);

                if (r != EXIT_OK && status == EXIT_OK)
                        status = r;
        }
        return status;
}

void print_json(const struct options *o, struct json_object *v) {
        int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

        flags |= o->json == JSON_SHORT ? JSON_C_TO_STRING_PLAIN : JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED;
        puts(json_object_to_json_string_ext(v, flags));
}

struct json_object *user_params(const char *user) {
        struct json_object *params = json_object_new_object();

        if (params)
                json_object_object_add(params, "userName", json_object_new_string(user));
        return params;
}

void warn_overcommitted(struct json_object *reply) {
        struct json_object *v;

        if (json_object_object_get_ex(reply, "overcommitted", &v) && json_object_get_boolean(v))
                fprintf(stderr, "warning: the homes on this host's filesystem are promised more space than it has "
                                "free; when it fills up, the homes that write to it are deactivated\n");
}

int connect_and_ask_password(const struct options *o, const char *user, struct proto_conn **ret_conn,
                             char **ret_password) {
        _cleanup_agent_error_ struct agent_error e = {};
        char prompt[256];
        int r;

        if (agent_connect(ret_conn, &e) < 0)
                return report_agent_error(&e, user);
        snprintf(prompt, sizeof(prompt), "Password for %s: ", user);
        r = ask_password(o, prompt, NULL, ret_password);
        if (r != EXIT_OK) {
                proto_conn_free(*ret_conn);
                *ret_conn = NULL;
        }
        return r;
}
