/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "ask-password.h"
#include "homefsctl.h"

/* The enrollment options shared by create and update: --recovery-key=yes,
 * --pkcs11-token-uri=URI. Parsed into struct options' credentials member;
 * enrolled with io.homefs.Agent.AddCredentials after the home exists. */

/* Set from one option (value may be NULL for --recovery-key alone). 0, or
 * -EINVAL after printing a usage error. */
int credential_option_recovery_key(struct options *o, const char *value);
int credential_option_pkcs11(struct options *o, const char *value);

/* --fido2-device=PATH|auto (PATH: /dev/hidrawN or unix:/SOCKET) and
 * --fido2-with-{client-pin,user-presence,user-verification}=yes|no (which:
 * 0, 1, 2 in that order). */
int credential_option_fido2_device(struct options *o, const char *value);
int credential_option_fido2_with(struct options *o, int which, const char *name, const char *value);

/* --ssh-unlock-key=KEY|@FILE (repeatable): a public key line, or every key
 * line of FILE. Enrolling needs the key in the ssh-agent (SSH_AUTH_SOCK). */
int credential_option_ssh_unlock_key(struct options *o, const char *value);

bool credential_options_any(const struct options *o);

/* --pkcs11-token-uri=list or --fido2-device=list: print what the agent can
 * enroll and return an exit status. */
bool credential_options_list_requested(const struct options *o);
int credential_options_list(const struct options *o);

/* Enroll what the options ask for, proving ownership with password. Asks
 * for the token's PIN (terminal or stdin) if the token wants one. Prints a
 * new recovery key once on stdout. Returns an exit status, having printed
 * any error. */
int credential_options_enroll(struct proto_conn *conn, const struct options *o, const char *user,
                              const char *password);
