/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/un.h>

#include "proto.h"

/* The client side of the agent protocol (docs/protocol.md), for homefsctl,
 * the PAM module and the SSH stub: connect, call, and explain failures.
 *
 * Error replies are mapped to negative errno values so callers can branch on
 * them without comparing strings:
 *
 *   io.homefs.Agent.PermissionDenied  -EACCES
 *   io.homefs.Agent.InvalidParameter  -EINVAL
 *   io.homefs.Agent.InvalidRecord     -EBADR
 *   io.homefs.Agent.NoSuchHome        -ENOENT
 *   io.homefs.Agent.HomeExists        -EEXIST
 *   io.homefs.Agent.UserExists        -EADDRINUSE
 *   io.homefs.Agent.BadCredentials    -EPERM
 *   io.homefs.Agent.RateLimited       -EAGAIN
 *   io.homefs.Agent.AccountLocked     -EKEYREVOKED
 *   io.homefs.Agent.AccountExpired    -EKEYEXPIRED
 *   io.homefs.Agent.HomeLocked        -ENOKEY
 *   io.homefs.Agent.ImageMissing      -ENOMEDIUM
 *   io.homefs.Agent.HomeBusy          -EBUSY
 *   io.homefs.Agent.FrontNotRunning   -ESRCH
 *   io.homefs.Agent.PasswordNeeded    -ENOKEY
 *   io.homefs.Agent.PinNeeded         -ENOANO
 *   io.homefs.Agent.BadPin            -EBADE
 *   io.homefs.Agent.PinLocked         -ENOLCK
 *   io.homefs.Agent.TokenAbsent       -ENXIO
 *   io.homefs.Agent.UserPresenceNeeded  -ENOMSG
 *   io.homefs.Agent.UserPresenceRefused -ETIME
 *   io.homefs.Agent.NoSuchCredential  -ENODATA
 *   io.homefs.Agent.LastCredential    -ENOTEMPTY
 *   io.homefs.Agent.Failed            -(its "errno" parameter), or -EIO
 *   any other name                    -EPROTO
 *
 * Failures on this side keep their errno: connect() errors (-ENOENT,
 * -ECONNREFUSED, -EACCES, ...) from agent_connect(); -ECONNRESET (the agent
 * closed the connection), -EBADMSG (malformed reply), I/O errors from
 * agent_call(). struct agent_error says which of these happened. */

#define AGENT_INTERFACE "io.homefs.Agent"

enum agent_error_origin {
        AGENT_ERROR_NONE,
        AGENT_ERROR_CONNECT,   /* the agent could not be reached */
        AGENT_ERROR_TRANSPORT, /* the connection failed during a call */
        AGENT_ERROR_REPLY,     /* the agent answered with an error */
};

struct agent_error {
        enum agent_error_origin origin;
        int errnum;                     /* the negative errno also returned */
        char socket_path[sizeof(((struct sockaddr_un *) 0)->sun_path)];
        char *name;                     /* REPLY: "io.homefs.Agent.BadCredentials" */
        char *message;                  /* REPLY: the agent's sentence, or NULL */
        struct json_object *parameters; /* REPLY: the error's parameters, or NULL */
};

void agent_error_clear(struct agent_error *e);
static inline void agent_error_clearp(struct agent_error *e) {
        agent_error_clear(e);
}
#define _cleanup_agent_error_ __attribute__((cleanup(agent_error_clearp)))

/* Connect to $HOMEFS_RUNTIME_DIR/agent.sock. error may be NULL. */
int agent_connect(struct proto_conn **ret, struct agent_error *error);
/* Connect to <runtime_dir>/agent.sock, whatever the environment says: for
 * the PAM module, which must not trust the environment of the process it is
 * loaded into (a setuid su inherits the caller's). */
int agent_connect_runtime_dir(const char *runtime_dir, struct proto_conn **ret, struct agent_error *error);

/* Just the connected socket (negative errno on failure): for homefsd, which
 * turns its connection around after registering. */
int agent_socket_connect(void);

/* Call method (the full name, "io.homefs.Agent.Unlock") with params (taken
 * over; NULL for none) and wait for the reply, at most c->call_timeout_ms
 * (-ETIMEDOUT; by default without a limit). Returns 0
 * and the reply's parameters in *ret (owned by the caller; an empty object if
 * the reply had none; ret may be NULL), or a negative errno as above with error filled in.
 * error may be NULL. With secret set, the serialized call is wiped after
 * sending and the string members "password", "newPassword" and "pin" of params are
 * wiped before they are freed. */
int agent_call(struct proto_conn *c, const char *method, struct json_object *params, bool secret,
               struct json_object **ret, struct agent_error *error);

/* The errno for an error name (table above). */
int agent_errno_from_error_name(const char *name);

/* "BadCredentials" for "io.homefs.Agent.BadCredentials"; NULL if none. */
const char *agent_error_short_name(const struct agent_error *e);

/* One line for a person (no newline): what happened and, where there is
 * something to do, what to do. user_name (may be NULL) names the home the call
 * was about. Writes into buf and returns it; long agent messages are cut. */
#define AGENT_ERROR_LINE_MAX 1024U
const char *agent_error_format(const struct agent_error *e, const char *user_name, char *buf, size_t size);
