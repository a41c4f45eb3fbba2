/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

/* Bounds on client connections, so that no local user can starve the agent:
 * at most CLIENTS_PER_UID_MAX connections at once per account, and at most
 * CLIENTS_MAX in all for non-root callers. Root (peer uid 0) is never
 * counted nor refused: the whole budget stays in reserve for who would have
 * to clean up (deactivate, remove).
 *
 * The account a connection counts against is the login uid of the caller's
 * session where it has one, else its uid: a user who can run processes
 * under many uids (subordinate uids in a user namespace) keeps the login
 * uid of their session, which they cannot change once set, and so one
 * budget. A process whose login uid is unset can set it to anyone's, so
 * every connection also counts against its own uid, and connections from a
 * uid other than the account's count in a second budget of that account:
 * claiming someone's login uid never takes the slots their own uid
 * connects with, and claiming many gives a uid no more than its own 16. */

#define CLIENTS_MAX 256U
#define CLIENTS_PER_UID_MAX 16U
#define CLIENTS_SESSIONS_PER_UID_MAX 256U /* login sessions held open per user */

/* The account of the peer of socket fd (cred from SO_PEERCRED): the login
 * uid of its process where set, else cred->uid. -ESRCH when the connecting
 * process is gone before it could be identified: the connection is then
 * refused, or a client could connect from short-lived processes, hand the
 * sockets on, and be counted by uid again. -EMFILE, -ENFILE or -ENOMEM
 * when the agent lacks the descriptor or memory to identify it. */
int clients_account(int fd, const struct ucred *cred, uid_t *ret);

/* 0 if a connection from peer uid, counted against account, may be served
 * now (and is counted), -EUSERS when account has too many, -EMFILE when the
 * agent has too many. */
int clients_admit(uid_t uid, uid_t account);
void clients_release(uid_t uid, uid_t account);

/* A connection that becomes a login session's reference moves from the
 * ordinary budget to the session budget (a user may well have more than
 * CLIENTS_PER_UID_MAX logins), and back when the session ends. Sessions
 * count against uid itself, not the account (a claimed login uid). -EUSERS
 * when uid holds CLIENTS_SESSIONS_PER_UID_MAX sessions already. */
int clients_session_begin(uid_t uid, uid_t account);
void clients_session_end(uid_t uid, uid_t account);
