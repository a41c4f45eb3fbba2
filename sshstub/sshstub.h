/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pwd.h>

/* homefs-sshstub: what sshd runs (ForceCommand) for users homefs manages. */

#define EXIT_LOCKED 75 /* EX_TEMPFAIL: the home is locked, try again interactively */

/* Exec the user's shell as sshd would have: a login shell ("-bash") in the
 * home directory, or "shell -c COMMAND" when sshd got a command
 * (SSH_ORIGINAL_COMMAND). Returns only on failure (negative errno, printed). */
int exec_user_shell(const struct passwd *pw);

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
