/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "agent-client.h"
#include "macro.h"

/* homefsctl's exit statuses (documented in --help and docs/homefsctl.1.md). */
enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,
        EXIT_USAGE = 2,
        EXIT_BAD_CREDENTIALS = 3,
        EXIT_NO_SUCH_HOME = 4,
        EXIT_BUSY = 5,      /* rate limited, or the home is busy */
        EXIT_NO_AGENT = 6,  /* homefs-agent not reachable, or it went away */
};

enum json_mode { JSON_OFF, JSON_PRETTY, JSON_SHORT };

/* Everything the command line said, for the verbs. */
struct options {
        enum json_mode json;
        bool quiet;
        bool legend;
        bool force;
        const char *password_file;
        struct json_object *record;  /* create: the record fields from the flags */
        unsigned disk_size_percent;  /* create: --disk-size=N% (0: not given) */
        const char *create_option;   /* the first create-only option seen, for usage errors */
        struct {                     /* create, update: credentials to enroll */
                bool recovery_key;
                const char *pkcs11_uri;
                const char *fido2_device;
                int fido2_with[3];   /* client PIN, presence, verification: -1 default, 0, 1 */
                struct json_object *ssh_unlock_keys; /* OpenSSH public key lines, or NULL */
        } credentials;
        bool ssh_agent;              /* unlock --ssh-agent */
        bool ask_recovery_key;       /* unlock: --recovery-key: ask for it instead of the password */
        const char *identity;        /* create --identity=FILE|- */
        bool export;                 /* inspect --export */
        bool drop_if_locked;         /* run-when-unlocked --drop-if-locked */
        bool deactivate_unfrozen;    /* lock-all --deactivate-unfrozen */
        bool allow_overcommit;       /* create, resize --allow-overcommit */
        bool clear;                  /* queue --clear */
        bool no_ask_password;        /* never prompt on the terminal */
        bool skip_password_policy;   /* --enforce-password-policy=no */
        const char *credential_type; /* remove-credential --type */
};

/* Each verb gets the arguments after the verb name and returns an exit status;
 * it has printed any error itself. */
int verb_create(const struct options *o, int argc, char **argv);
int verb_list(const struct options *o, int argc, char **argv);
int verb_inspect(const struct options *o, int argc, char **argv);
int verb_remove(const struct options *o, int argc, char **argv);
int verb_unlock(const struct options *o, int argc, char **argv);
int verb_deactivate(const struct options *o, int argc, char **argv);
int verb_activate(const struct options *o, int argc, char **argv);
int verb_lock_all(const struct options *o, int argc, char **argv);
int verb_lock(const struct options *o, int argc, char **argv);
int verb_passwd(const struct options *o, int argc, char **argv);
int verb_ssh_keys(const struct options *o, int argc, char **argv);
int verb_update(const struct options *o, int argc, char **argv);
int verb_remove_credential(const struct options *o, int argc, char **argv);
int verb_authenticate(const struct options *o, int argc, char **argv);
int verb_with(const struct options *o, int argc, char **argv);
int verb_resize(const struct options *o, int argc, char **argv);
int verb_run_when_unlocked(const struct options *o, int argc, char **argv);
int verb_queue(const struct options *o, int argc, char **argv);
int verb_deactivate_all(const struct options *o, int argc, char **argv);

/* Ask for the password (terminal, stdin or --password-file) and unlock the
 * home over conn; *already tells whether it was unlocked before. Returns an
 * exit status, having printed any error. */
int unlock_interactive(const struct options *o, struct proto_conn *conn, const char *user, bool activate_only,
                       bool *already);

/* A progress line on stderr while a long call runs (nothing unless stderr
 * is a terminal); progress_end() erases it. */
void progress_begin(const char *label);
void progress_end(void);

/* create --identity: read the record from path ("-": stdin), check it is for
 * user. 0 and a new object, or negative errno after printing the error. */
int identity_load(const char *path, const char *user, struct json_object **ret);

/* Lock one home; returns an exit status, having printed any error. */
int deactivate_home(const char *user);
int lock_home(const char *user);


/* Call the agent on conn, or when conn is NULL on a connection of its own.
 * 0 and *ret (ret may be NULL if the reply is not wanted), or negative errno
 * with error filled in (nothing printed). params are taken over. Verbs that
 * ask for a password connect first, so nobody types a password for an agent
 * that is not there. */
int agent_run(struct proto_conn *conn, const char *method, struct json_object *params, bool secret,
              struct json_object **ret, struct agent_error *error);

/* New call parameters {"userName": user}; NULL when out of memory. */
struct json_object *user_params(const char *user);

/* Print an agent failure once, to stderr, and return its exit status. */
int report_agent_error(const struct agent_error *e, const char *user_name);
/* create, resize: warn on stderr when the reply says the host is overcommitted. */
void warn_overcommitted(struct json_object *reply);
int exit_status_from_agent_error(const struct agent_error *e);

/* password_source_open() on --password-file or the terminal/stdin; prints
 * the failure. */
struct password_source;
int open_password_source(const struct options *o, struct password_source *src);

/* Print a failure to read a password and return EXIT_FAIL. */
int report_password_error(int r, const struct options *o);

/* Read one password (or, with repeat_prompt, a new one typed twice) from
 * --password-file, the terminal or stdin, into secret memory. Returns an exit
 * status, having printed any error. */
int ask_password(const struct options *o, const char *prompt, const char *repeat_prompt, char **ret);

/* Connect to the agent, then ask for the password of user's home: the start of
 * every verb that proves ownership. Returns an exit status, having printed any
 * error. */
int connect_and_ask_password(const struct options *o, const char *user, struct proto_conn **ret_conn,
                             char **ret_password);

/* The new password passes libpwquality (unless --enforce-password-policy=no);
 * old_password may be NULL. Returns an exit status, having printed why not. */
int password_quality_check(const struct options *o, const char *user, const char *old_password,
                           const char *password);

/* Print a usage error (with a pointer to --help) and return EXIT_USAGE. */
int usage_error(const char *fmt, ...) _printf_(1, 2);

/* The user a verb is about: argv[0] if given, else (when allowed) the
 * caller's own user name. NULL after printing a usage error. */
const char *verb_user(int argc, char **argv, const char *verb, bool default_self);

/* Run fn on each USER argument (none: as verb_user() with default_self).
 * Like homectl, every user is tried even after a failure, and the status is
 * the first failure's. */
int for_each_user(const struct options *o, int argc, char **argv, const char *verb, bool default_self,
                  int (*fn)(const struct options *o, const char *user));

/* list --json: the agent's homes as an array of row objects keyed by
 * homectl's column names (name uid gid state realname home shell) plus
 * homefs's image, size, used, host_free, host_room. NULL when out of memory. */
struct json_object *list_rows_json(struct json_object *homes);

/* inspect --json: the user record from an Inspect reply, with the runtime
 * state in "status": { MACHINE-ID: { "service", "state", "sessions", ... } }.
 * NULL if the reply has no record or out of memory. */
struct json_object *inspect_record_json(struct json_object *reply);

/* Print a reply as JSON on stdout in the mode asked for. */
void print_json(const struct options *o, struct json_object *v);
