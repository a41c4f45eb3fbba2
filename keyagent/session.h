/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "agent-error.h"
#include "home.h"

/* Login sessions (docs/protocol.md, AcquireSession): a reference on a home
 * tied to one client connection. The connection then carries nothing but
 * ReleaseSession; when the client sends it or the connection ends (the login
 * process exited or crashed), the reference goes. When the last one goes, the
 * home is locked unless its record says keepUnlockedAfterLogout. */

/* With the home's lock held: check the account, unlock with password if the
 * home is locked (HomeLocked if there is no password), and count a session.
 * *ret_generation: the home's lock generation the session belongs to (a
 * lock ends every session; one from before it ends without effect). */
int session_acquire(struct home *h, const char *password, bool *already, uint64_t *ret_generation,
                    struct agent_error *e);

/* Reply to AcquireSession on conn, then serve the connection until the
 * session ends; drops the session (if its generation is still the home's)
 * and the reference on h, frees conn. */
void session_hold(struct home *h, uint64_t generation, struct proto_conn *conn, struct json_object *reply);
