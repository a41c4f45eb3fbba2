/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "agent-client.h"

/* The unlock conversation, shared by homefsctl, pam_homefs and the SSH stub:
 * ask for what the agent needs, call io.homefs.Agent.Unlock, and ask again
 * where that makes sense (a wrong password, up to the given number of tries).
 * The front end supplies how to ask and how to tell (a terminal, a PAM
 * conversation); the flow owns the protocol.
 *
 * Without a known password, the flow first asks the agent what it needs
 * (Unlock without secrets): PinNeeded when a security token of the home is
 * present, and the flow asks "Security token PIN for USER" (an empty answer
 * falls back to the password), retrying a wrong PIN (BadPin); otherwise
 * PasswordNeeded, and the flow asks for the password as before. A recovery
 * key is accepted wherever a password is. Lines for the user go to info(). */

struct unlock_prompter {
        /* Ask for a secret with echo off. Returns 0 and a string in secret
         * memory (lib/secret.h) that the flow frees, or a negative errno
         * (-ECANCELED when the user gave up: Ctrl-C, EOF). */
        int (*ask)(void *userdata, const char *prompt, char **ret);
        /* Show one line to the user (may be NULL). */
        void (*info)(void *userdata, const char *message);
        void *userdata;
};

struct unlock_request {
        const char *user_name;
        /* A password already known (PAM_AUTHTOK, --password-file); tried
         * first, and counts as the first try. May be NULL. */
        const char *password;
        /* How many passwords to try in all (at least 1). */
        unsigned tries;
        /* Ask only for the password, never retry (non-interactive callers). */
        bool no_ask;
        /* Activate only: a home locked with its sessions kept is not
         * resumed (HomeLocked). */
        bool activate_only;
        /* Ask for a recovery key instead of the password ("Recovery key
         * for USER: "); it goes to the agent as the password. */
        bool recovery_key;
};

struct unlock_result {
        bool already_unlocked;
        /* The password that worked, in secret memory (for PAM_AUTHTOK), or
         * NULL; free with secret_free(). */
        char *password;
};

/* 0 on success; otherwise the negative errno of the last failure, with
 * error filled in (format it with agent_error_format()). */
int unlock_flow_run(struct proto_conn *c, const struct unlock_request *req, const struct unlock_prompter *p,
                    struct unlock_result *res, struct agent_error *error);
