/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <security/pam_modules.h>
#include <stdbool.h>

#include "agent-client.h"
#include "record.h"
#include "unlock-flow.h"

/* pam_homefs.so, shared by its four parts (auth.c, account.c, session.c,
 * password.c). The module never reads the environment: the process it is
 * loaded into may be setuid (su) with the caller's environment. Where the agent
 * listens is a module option (runtime_dir=), default /run/homefs. */

#define PAM_HOMEFS_RUNTIME_DIR_DEFAULT "/run/homefs"
#define PAM_HOMEFS_STATE_DIR_DEFAULT "/var/lib/homefs"
/* How long to wait for each reply of the agent (timeout=): a hung agent must
 * not hang logins. Long enough for a PBKDF and a security key's touch. */
#define PAM_HOMEFS_TIMEOUT_SEC_DEFAULT 60U

struct pam_homefs {
        pam_handle_t *pamh;
        bool debug;
        unsigned tries;            /* auth: passwords to try (tries=, default 1) */
        const char *runtime_dir;   /* runtime_dir=, absolute */
        const char *state_dir;     /* state_dir=, absolute: where the records are */
        unsigned timeout_sec;      /* timeout=, 1..600 */
        const char *user;
};

/* Parse the options and get the user name. PAM_SUCCESS, PAM_USER_UNKNOWN
 * for a user homefs does not manage (decided without the agent), or another
 * PAM error (logged). */
int pam_homefs_init(struct pam_homefs *m, pam_handle_t *pamh, int argc, const char **argv);

/* Does homefs manage the user? From the records directory, without the agent. */
bool pam_homefs_is_ours(struct pam_homefs *m);

/* Connect to the agent; each call on the connection waits timeout= at most. */
int pam_homefs_connect(struct pam_homefs *m, struct proto_conn **ret, struct agent_error *e);

/* Does homefs manage the user? Asks the agent (Inspect). PAM_SUCCESS with the
 * record (may be NULL if not wanted), PAM_USER_UNKNOWN when homefs does not
 * manage the user (or this caller may not know), else the error's PAM code
 * (logged). */
int pam_homefs_lookup(struct pam_homefs *m, struct user_record **ret);

/* Turn an agent error into a PAM code for the given PAM function type
 * ('a'uth, 'c'hauthtok, 's'ession), log it, and show the user a sentence
 * (unless quiet). */
int pam_homefs_error(struct pam_homefs *m, const struct agent_error *e, char type);

/* The unlock flow's prompter over the PAM conversation. */
struct unlock_prompter pam_homefs_prompter(struct pam_homefs *m);

/* Ask with echo off through the conversation; the answer in secret memory. */
int pam_homefs_ask(struct pam_homefs *m, const char *prompt, char **ret);

#define pam_homefs_debug(m, ...)                                      \
        do {                                                          \
                if ((m)->debug)                                       \
                        pam_syslog((m)->pamh, LOG_DEBUG, __VA_ARGS__); \
        } while (0)
