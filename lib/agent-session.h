/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "agent-client.h"

/* Login sessions, the client side (io.homefs.Agent.AcquireSession, for
 * pam_homefs and homefs-sshstub). A session is a reference on a home held by
 * one connection: after agent_session_acquire() succeeds the connection
 * carries nothing else, and the reference lasts until
 * agent_session_release() or until the connection closes: keep it open (and
 * out of children you do not trust) for exactly the session's lifetime. */

/* password may be NULL: then the home must already be unlocked (else
 * -ENOKEY, HomeLocked). *already says it was. suspend: this session agrees
 * that LockAll (system suspend) locks the home (pam_homefs's suspend=). */
int agent_session_acquire(struct proto_conn *c, const char *user_name, const char *password, bool suspend,
                          bool *already, struct agent_error *error);

int agent_session_release(struct proto_conn *c, struct agent_error *error);
