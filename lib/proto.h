/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* The agent's wire protocol: varlink-style JSON messages over a Unix stream
 * socket, each terminated by a NUL byte. A call is
 *     {"method":"io.homefs.Agent.Unlock","parameters":{...}}
 * and its reply either
 *     {"parameters":{...}}   or   {"error":"io.homefs.Agent.BadCredentials","parameters":{...}}
 * File descriptors travel as SCM_RIGHTS on the first byte of a message. */

#define PROTO_MESSAGE_MAX (64U * 1024U) /* bytes, without the NUL */
#define PROTO_FDS_MAX 4U
#define PROTO_NAME_MAX 128U /* method and error names */

struct proto_conn {
        int fd;
        char *buf; /* received bytes not yet consumed; wiped when consumed */
        size_t len;
        int fds[PROTO_FDS_MAX]; /* received fds not yet handed out */
        size_t n_fds;
        int call_timeout_ms; /* agent_call()'s wait for each reply; < 0 (the default): no limit */
};

/* A conn takes ownership of fd. */
struct proto_conn *proto_conn_new(int fd);
void proto_conn_free(struct proto_conn *c);
static inline void proto_conn_freep(struct proto_conn **c) {
        proto_conn_free(*c);
}

/* Send one message. If secret is true the serialized form is wiped after
 * sending (use it for anything that carries a password). */
int proto_send(struct proto_conn *c, struct json_object *msg, const int *fds, size_t n_fds, bool secret);

/* Receive one message. Returns 0 and *ret (owned by the caller), -ECONNRESET on
 * a clean EOF between messages, -EBADMSG on malformed input (not JSON, not an
 * object, over PROTO_MESSAGE_MAX, more fds than PROTO_FDS_MAX), other negative
 * errno on I/O errors. Received fds are stored in fds (up to *n_fds on entry;
 * on return *n_fds is how many); excess fds are closed and give -EBADMSG.
 * The raw bytes are wiped after parsing. A timeout_ms < 0 waits forever. */
int proto_recv(struct proto_conn *c, struct json_object **ret, int *fds, size_t *n_fds, int timeout_ms);

/* Parse one complete message (without the terminating NUL) and check its
 * shape. Exposed for the unit tests and for fuzzing. */
int proto_parse(const char *data, size_t len, struct json_object **ret);

/* Accessors for a received message; NULL when absent or of the wrong type. */
const char *proto_method(struct json_object *msg);
const char *proto_error(struct json_object *msg);
struct json_object *proto_parameters(struct json_object *msg);

/* Build messages. The parameters object is taken over (may be NULL for {}). */
struct json_object *proto_call_new(const char *method, struct json_object *parameters);
struct json_object *proto_reply_new(struct json_object *parameters);
struct json_object *proto_error_new(const char *error, struct json_object *parameters);

/* Typed parameter getters: return 0 and the value, -ENOENT when absent,
 * -EINVAL when of the wrong type or out of range. Strings must be valid UTF-8
 * without NUL and at most max_len bytes. */
int proto_get_string(struct json_object *params, const char *key, size_t max_len, const char **ret);
int proto_get_bool(struct json_object *params, const char *key, bool *ret);
int proto_get_u64(struct json_object *params, const char *key, unsigned long long *ret);

/* Wipe a string member in place (for passwords) before the object is freed. */
void proto_wipe_string(struct json_object *params, const char *key);

/* Perform a call: send, then wait for the reply. On an error reply returns
 * -EREMOTE with *ret holding the whole reply so the caller can read the error
 * name and its parameters. fds received with the reply go to ret_fds. */
int proto_call(struct proto_conn *c, struct json_object *call, bool secret,
               const int *fds, size_t n_fds,
               struct json_object **ret, int *ret_fds, size_t *ret_n_fds, int timeout_ms);
