/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* Bounds on client connections, so that no local user can starve the agent:
 * at most CLIENTS_PER_UID_MAX connections at once per non-root uid, and at
 * most CLIENTS_MAX in all for non-root callers. Root is never refused: it is
 * who would have to clean up. */

#define CLIENTS_MAX 256U
#define CLIENTS_PER_UID_MAX 16U
#define CLIENTS_SESSIONS_PER_UID_MAX 256U /* login sessions held open per user */

/* 0 if a connection from uid may be served now (and is counted), -EUSERS
 * when uid has too many, -EMFILE when the agent has too many. */
int clients_admit(uid_t uid);
void clients_release(uid_t uid);

/* A connection that becomes a login session's reference moves from the
 * ordinary budget to the session budget (a user may well have more than
 * CLIENTS_PER_UID_MAX logins), and back when the session ends. -EUSERS when
 * uid holds CLIENTS_SESSIONS_PER_UID_MAX sessions already. */
int clients_session_begin(uid_t uid);
void clients_session_end(uid_t uid);
