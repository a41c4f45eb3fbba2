/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "agent-client.h"

/* Unlock a home with a key in the user's ssh-agent (homefs-sshstub before
 * the password prompt, homefsctl unlock --ssh-agent): ask homefs-agent for
 * the challenges of the home's enrolled keys (GetSshUnlockChallenges), ask
 * the ssh-agent at auth_sock to sign the challenge of each enrolled key it
 * holds, and send the signature to Unlock (sshAgentSignature).
 *
 * Returns 0 once unlocked (*already: it was). -ENOKEY when no key could be
 * used: why holds one sentence saying why, or is empty when the home has no
 * key enrolled at all (then there is nothing to tell). Another negative
 * errno with e filled when the agent refused (a signature that does not
 * verify: BadCredentials; RateLimited; ...). */
int ssh_agent_unlock(struct proto_conn *c, const char *user, const char *auth_sock, bool *already, char *why,
                     size_t why_size, struct agent_error *e);

/* Sign the challenge for user and a fresh random salt with the key of
 * public_key_line (which the ssh-agent at auth_sock must hold): *ret is
 * {"publicKey", "salt", "signature"} for AddCredentials' sshUnlockKeys.
 * -EOPNOTSUPP (ECDSA, sk- keys), -ENOKEY (the key is not in the ssh-agent),
 * ...: why holds a sentence. */
int ssh_agent_enroll_sign(const char *user, const char *public_key_line, const char *auth_sock,
                          struct json_object **ret, char *why, size_t why_size);
