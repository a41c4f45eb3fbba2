/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pwd.h>
#include <stdbool.h>

#include "agent-client.h"

/* homefs-sshstub: the login shell of homefs users (and sshd's ForceCommand
 * for them), so that sshd starts it with no other shell in front. */

#define EXIT_LOCKED 75 /* EX_TEMPFAIL: the home is locked, try again interactively */

/* What sshd (or login, su) asked for. */
struct invocation {
        bool login;          /* argv[0] starts with '-': a login shell */
        const char *command; /* the client's command; NULL: an interactive shell */
};

/* The home as the agent sees it (Inspect of the caller's own home). */
struct home_info {
        bool managed;    /* false: homefs does not manage this user */
        bool unlocked;
        long sessions;   /* login sessions holding the home */
        char *shell;     /* the record's shell (malloc'd), or NULL */
};

/* 0 with info filled (managed false for a user homefs does not manage), or
 * a negative errno with e filled. */
int home_info_get(const char *user, struct home_info *info, struct agent_error *e);
void home_info_done(struct home_info *info);

/* The shell to become: the record's, else passwd's, never this program
 * itself (it is the passwd shell of homefs users), else /bin/sh. */
const char *shell_choose(const char *record_shell, const struct passwd *pw);

/* True if path names this program (the ForceCommand sshd hands to the login
 * shell with -c). */
bool is_self(const char *path);

/* Exec what sshd would have run, in the home directory: the shell as a
 * login shell ("-bash"), "shell -c COMMAND", or for the SFTP subsystem sshd
 * serves itself (internal-sftp, which cannot be exec'd) the sftp-server
 * program. Returns only on failure (negative errno, printed). */
int exec_user_shell(const char *shell, const struct passwd *pw, const char *command);

/* Is the command the SFTP subsystem (sftp, and scp since OpenSSH 9)? */
bool command_is_sftp(const char *command);

/* Before any prompt: unlock with a key in the user's forwarded ssh-agent
 * (SSH_AUTH_SOCK), if one of the home's enrolled keys is there. 0 once
 * unlocked; else a negative errno, having said in one line why no key
 * could be used (nothing when the home has no key enrolled). */
int unlock_with_ssh_agent(const char *user);

/* The locked-home conversation on the terminal: up to 3 passwords, then
 * unlock. 0 once the home is unlocked, else an exit status (printed). */
int unlock_on_terminal(const char *user);

/* For an SFTP subsystem on a locked home: tell the client why, in its own
 * protocol (sshd discards a subsystem's stderr). Reads only SFTP packets. */
void sftp_refuse(const char *message);
