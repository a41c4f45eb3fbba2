/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "agent-error.h"
#include "home.h"
#include "proto-dispatch.h"
#include "proto.h"

/* One call being served: what the dispatcher (dispatch.c) knows of the
 * caller, the call's parameters, and what the method answers. A method is
 * "int method(struct call *c)": it reads its parameters with call_params()
 * (a proto_field table), finds its home with call_home_acquire(), and
 * returns 0 after call_reply(), or a negative errno with c->error filled
 * (agent_error_set()); the dispatcher turns either into the reply. */

#define PASSWORD_MAX 1024U
#define USER_NAME_MAX 64U

/* Who may make a call: the method table's word, checked by the dispatcher
 * before any parameter is read (CALL_ROOT) and by call_home_get() for the
 * home a call names (docs/protocol.md, Callers). */
enum call_access {
        CALL_OWNER,  /* root, or the user whose record has the caller's uid */
        CALL_ROOT,   /* root only */
        CALL_ANYONE, /* any local caller; a home is looked up without an owner check */
};

struct call {
        const struct agent_config *config;
        struct proto_conn *conn;
        uid_t peer_uid;
        pid_t peer_pid;
        uid_t account;              /* what the connection bounds count against (clients.h) */
        enum call_access access;
        struct json_object *params; /* the call's "parameters" (NULL: none) */
        struct json_object *reply;  /* the reply's parameters, set by call_reply() */
        struct agent_error error;
        bool conn_taken;            /* RegisterFront, AcquireSession: the conn now belongs to a home */
        bool secret_reply;          /* the reply carries a secret (a new recovery key) */
};

typedef int (*call_method_fn)(struct call *c);

/* proto_dispatch() over the call's parameters; a refused one becomes
 * InvalidParameter naming it ("missing" or "invalid"). */
int call_params(struct call *c, const struct proto_field *table, void *base);
int call_invalid_parameter(struct call *c, const char *name, int r);

/* The home named by the parameter userName, with a reference, if the caller
 * may touch it (c->access): root and its owner may; a user asking about a
 * home that is not theirs learns nothing more than one asking about a home
 * that does not exist (PermissionDenied for both). */
int call_home_get(struct call *c, struct home **ret);

/* The same, with the home's lock held and the home not removed meanwhile.
 * Release with call_home_release() (unlock, unref): _cleanup_home_. */
int call_home_acquire(struct call *c, struct home **ret);
void call_home_release(struct home *h);
static inline void call_home_releasep(struct home **h) {
        call_home_release(*h);
}
#define _cleanup_home_ _cleanup_(call_home_releasep)

/* Reply with these parameters (taken over; NULL: {}). Returns 0. */
int call_reply(struct call *c, struct json_object *params);
/* Reply with the one parameter {key: value} (value taken over). Returns 0. */
int call_reply_one(struct call *c, const char *key, struct json_object *value);

/* A .check for PROTO_STRING rows: a valid user name (record.h). */
int call_check_user_name(struct json_object *v, void *dest);
