/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "macro.h"
#include "proto.h"
#include "secret.h"
#include "time-util.h"

#define PROTO_DEPTH_MAX 8

struct proto_conn *proto_conn_new(int fd) {
        struct proto_conn *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->buf = secret_alloc(PROTO_MESSAGE_MAX + 1);
        if (!c->buf) {
                free(c);
                return NULL;
        }
        c->fd = fd;
        c->call_timeout_ms = -1;
        return c;
}

void proto_conn_free(struct proto_conn *c) {
        if (!c)
                return;
        for (size_t i = 0; i < c->n_fds; i++)
                safe_close(c->fds[i]);
        safe_close(c->fd);
        secret_free(c->buf);
        free(c);
}

/* A small JSON writer into a fixed buffer. json-c's own serializer grows its
 * buffer by realloc and frees the outgrown copies unwiped; a message may hold
 * a password, so messages are written here, into secret memory, instead. */
struct writer {
        char *buf;
        size_t len, size;
        bool overflow;
};

static void put(struct writer *w, const char *s, size_t n) {
        if (w->overflow || n > w->size - w->len) {
                w->overflow = true;
                return;
        }
        memcpy(w->buf + w->len, s, n);
        w->len += n;
}

static void put_str(struct writer *w, const char *s) {
        put(w, s, strlen(s));
}

static void put_json_string(struct writer *w, const char *s, size_t n) {
        put(w, "\"", 1);
        for (size_t i = 0; i < n; i++) {
                unsigned char ch = (unsigned char) s[i];
                char esc[8];

                if (ch == '"' || ch == '\\') {
                        esc[0] = '\\';
                        esc[1] = (char) ch;
                        put(w, esc, 2);
                } else if (ch < 0x20) {
                        snprintf(esc, sizeof(esc), "\\u%04x", ch);
                        put(w, esc, 6);
                } else
                        put(w, (const char *) &s[i], 1);
        }
        put(w, "\"", 1);
}

static void put_json(struct writer *w, struct json_object *o, unsigned depth) {
        char num[32];
        bool first = true;

        if (depth > PROTO_DEPTH_MAX) {
                w->overflow = true;
                return;
        }
        switch (json_object_get_type(o)) {
        case json_type_null:
                put_str(w, "null");
                break;
        case json_type_boolean:
                put_str(w, json_object_get_boolean(o) ? "true" : "false");
                break;
        case json_type_int:
                if (json_object_get_int64(o) < 0)
                        snprintf(num, sizeof(num), "%lld", (long long) json_object_get_int64(o));
                else
                        snprintf(num, sizeof(num), "%llu", (unsigned long long) json_object_get_uint64(o));
                put_str(w, num);
                break;
        case json_type_double:
                snprintf(num, sizeof(num), "%.17g", json_object_get_double(o));
                put_str(w, num);
                break;
        case json_type_string:
                put_json_string(w, json_object_get_string(o), (size_t) json_object_get_string_len(o));
                break;
        case json_type_array:
                put(w, "[", 1);
                for (size_t i = 0; i < json_object_array_length(o); i++) {
                        if (i > 0)
                                put(w, ",", 1);
                        put_json(w, json_object_array_get_idx(o, i), depth + 1);
                }
                put(w, "]", 1);
                break;
        case json_type_object:
                put(w, "{", 1);
                json_object_object_foreach(o, key, val) {
                        if (!first)
                                put(w, ",", 1);
                        first = false;
                        put_json_string(w, key, strlen(key));
                        put(w, ":", 1);
                        put_json(w, val, depth + 1);
                }
                put(w, "}", 1);
                break;
        }
}

int proto_send(struct proto_conn *c, struct json_object *msg, const int *fds, size_t n_fds, bool secret) {
        struct writer w = { .size = PROTO_MESSAGE_MAX };
        size_t off = 0;
        int r = 0;

        if (n_fds > PROTO_FDS_MAX)
                return -EINVAL;
        w.buf = secret_alloc(PROTO_MESSAGE_MAX + 1);
        if (!w.buf)
                return -ENOMEM;
        put_json(&w, msg, 0);
        if (w.overflow) {
                r = -EMSGSIZE;
                goto finish;
        }
        w.buf[w.len] = 0; /* the NUL terminator is part of the frame */

        while (off < w.len + 1) {
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(int) * PROTO_FDS_MAX)];
                } control;
                struct iovec iov = { .iov_base = w.buf + off, .iov_len = w.len + 1 - off };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
                ssize_t n;

                if (off == 0 && n_fds > 0) {
                        struct cmsghdr *cm;

                        memset(&control, 0, sizeof(control));
                        mh.msg_control = control.buf;
                        mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                        cm = CMSG_FIRSTHDR(&mh);
                        cm->cmsg_level = SOL_SOCKET;
                        cm->cmsg_type = SCM_RIGHTS;
                        cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                        memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
                }
                n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto finish;
                }
                off += (size_t) n;
        }
finish:
        secret_free(w.buf); /* wiped */
        return r;
}

static bool message_is_valid(struct json_object *o) {
        struct json_object *v;
        bool has_method = false, has_error = false;

        if (!json_object_is_type(o, json_type_object))
                return false;
        json_object_object_foreach(o, key, val) {
                if (streq(key, "method") || streq(key, "error")) {
                        const char *s;
                        size_t l;

                        if (!json_object_is_type(val, json_type_string))
                                return false;
                        s = json_object_get_string(val);
                        l = (size_t) json_object_get_string_len(val);
                        if (l == 0 || l > PROTO_NAME_MAX || strlen(s) != l)
                                return false;
                        for (size_t i = 0; i < l; i++)
                                if (!(s[i] == '.' || (s[i] >= 'a' && s[i] <= 'z') ||
                                      (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
                                        return false;
                        if (key[0] == 'm')
                                has_method = true;
                        else
                                has_error = true;
                } else if (streq(key, "parameters")) {
                        if (!json_object_is_type(val, json_type_object))
                                return false;
                } else if (streq(key, "more") || streq(key, "oneway") || streq(key, "continues")) {
                        /* varlink's flags (the userdb service uses them) */
                        if (!json_object_is_type(val, json_type_boolean))
                                return false;
                } else
                        return false;
        }
        if (has_method && has_error)
                return false;
        (void) v;
        return true;
}

int proto_parse(const char *data, size_t len, struct json_object **ret) {
        struct json_tokener *tok;
        struct json_object *o;
        int r = 0;

        if (len == 0 || len > PROTO_MESSAGE_MAX || len > INT_MAX || memchr(data, 0, len))
                return -EBADMSG;
        tok = json_tokener_new_ex(PROTO_DEPTH_MAX);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        o = json_tokener_parse_ex(tok, data, (int) len);
        if (!o || json_tokener_get_error(tok) != json_tokener_success ||
            json_tokener_get_parse_end(tok) != len)
                r = -EBADMSG;
        /* The tokener keeps string fragments (perhaps a password) in its buffer. */
        if (tok->pb && tok->pb->buf)
                explicit_bzero(tok->pb->buf, (size_t) tok->pb->size);
        json_tokener_free(tok);
        if (r == 0 && !message_is_valid(o))
                r = -EBADMSG;
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        *ret = o;
        return 0;
}

/* Move fds from a received control message into the conn's queue. */
static int take_fds(struct proto_conn *c, struct msghdr *mh) {
        int r = 0;

        if (mh->msg_flags & MSG_CTRUNC)
                r = -EBADMSG;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
                size_t n;
                int *fds;

                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                        continue;
                n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                fds = (int *) CMSG_DATA(cm);
                for (size_t i = 0; i < n; i++) {
                        if (c->n_fds < PROTO_FDS_MAX)
                                c->fds[c->n_fds++] = fds[i];
                        else {
                                safe_close(fds[i]);
                                r = -EBADMSG;
                        }
                }
        }
        return r;
}

static void drop_fds(struct proto_conn *c) {
        for (size_t i = 0; i < c->n_fds; i++)
                safe_close(c->fds[i]);
        c->n_fds = 0;
}

int proto_recv(struct proto_conn *c, struct json_object **ret, int *fds, size_t *n_fds, int timeout_ms) {
        long long deadline = timeout_ms >= 0 ? (long long) now_monotonic_msec() + timeout_ms : -1;
        size_t capacity = n_fds ? *n_fds : 0;
        char *nul;
        int r;

        if (n_fds)
                *n_fds = 0;

        while (!(nul = memchr(c->buf, 0, c->len))) {
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(int) * PROTO_FDS_MAX)];
                } control;
                struct iovec iov = { .iov_base = c->buf + c->len, .iov_len = PROTO_MESSAGE_MAX + 1 - c->len };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                                     .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
                ssize_t n;

                if (c->len >= PROTO_MESSAGE_MAX + 1)
                        return -EBADMSG; /* no terminator within the limit */
                if (deadline >= 0) {
                        struct pollfd p = { .fd = c->fd, .events = POLLIN };
                        long long left = deadline - (long long) now_monotonic_msec();

                        if (left < 0)
                                return -ETIMEDOUT;
                        r = poll(&p, 1, (int) left);
                        if (r < 0) {
                                if (errno == EINTR)
                                        continue;
                                return -errno;
                        }
                        if (r == 0)
                                return -ETIMEDOUT;
                }
                n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                r = take_fds(c, &mh);
                if (r < 0)
                        return r;
                if (n == 0)
                        return c->len == 0 ? -ECONNRESET : -EBADMSG;
                c->len += (size_t) n;
        }

        {
                size_t mlen = (size_t) (nul - c->buf), rest = c->len - mlen - 1;
                struct json_object *o = NULL;

                r = proto_parse(c->buf, mlen, &o);
                memmove(c->buf, nul + 1, rest);
                explicit_bzero(c->buf + rest, c->len - rest);
                c->len = rest;
                if (r < 0) {
                        drop_fds(c);
                        return r;
                }
                if (c->n_fds > capacity) {
                        drop_fds(c);
                        json_object_put(o);
                        return -EBADMSG;
                }
                for (size_t i = 0; i < c->n_fds; i++)
                        fds[i] = c->fds[i];
                if (n_fds)
                        *n_fds = c->n_fds;
                c->n_fds = 0;
                *ret = o;
                return 0;
        }
}

static const char *string_member(struct json_object *o, const char *key) {
        struct json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

const char *proto_method(struct json_object *msg) {
        return string_member(msg, "method");
}

const char *proto_error(struct json_object *msg) {
        return string_member(msg, "error");
}

struct json_object *proto_parameters(struct json_object *msg) {
        struct json_object *v;

        if (!msg || !json_object_object_get_ex(msg, "parameters", &v) || !json_object_is_type(v, json_type_object))
                return NULL;
        return v;
}

static struct json_object *message_new(const char *kind, const char *name, struct json_object *parameters) {
        struct json_object *o = json_object_new_object();

        if (!o) {
                json_object_put(parameters);
                return NULL;
        }
        if (kind)
                json_object_object_add(o, kind, json_object_new_string(name));
        json_object_object_add(o, "parameters", parameters ? parameters : json_object_new_object());
        return o;
}

struct json_object *proto_call_new(const char *method, struct json_object *parameters) {
        return message_new("method", method, parameters);
}

struct json_object *proto_reply_new(struct json_object *parameters) {
        return message_new(NULL, NULL, parameters);
}

struct json_object *proto_error_new(const char *error, struct json_object *parameters) {
        return message_new("error", error, parameters);
}

int proto_get_string(struct json_object *params, const char *key, size_t max_len, const char **ret) {
        struct json_object *v;
        const char *s;
        size_t l;

        if (!params || !json_object_object_get_ex(params, key, &v) || json_object_is_type(v, json_type_null))
                return -ENOENT;
        if (!json_object_is_type(v, json_type_string))
                return -EINVAL;
        s = json_object_get_string(v);
        l = (size_t) json_object_get_string_len(v);
        if (l > max_len || strlen(s) != l)
                return -EINVAL;
        *ret = s;
        return 0;
}

int proto_get_bool(struct json_object *params, const char *key, bool *ret) {
        struct json_object *v;

        if (!params || !json_object_object_get_ex(params, key, &v) || json_object_is_type(v, json_type_null))
                return -ENOENT;
        if (!json_object_is_type(v, json_type_boolean))
                return -EINVAL;
        *ret = json_object_get_boolean(v);
        return 0;
}

int proto_get_u64(struct json_object *params, const char *key, unsigned long long *ret) {
        struct json_object *v;

        if (!params || !json_object_object_get_ex(params, key, &v) || json_object_is_type(v, json_type_null))
                return -ENOENT;
        if (!json_object_is_type(v, json_type_int))
                return -EINVAL;
        if (json_object_get_int64(v) < 0)
                return -EINVAL;
        *ret = (unsigned long long) json_object_get_uint64(v);
        return 0;
}

void proto_wipe_string(struct json_object *params, const char *key) {
        struct json_object *v;

        if (params && json_object_object_get_ex(params, key, &v) && json_object_is_type(v, json_type_string))
                explicit_bzero((char *) json_object_get_string(v), (size_t) json_object_get_string_len(v));
}

int proto_call(struct proto_conn *c, struct json_object *call, bool secret,
               const int *fds, size_t n_fds,
               struct json_object **ret, int *ret_fds, size_t *ret_n_fds, int timeout_ms) {
        struct json_object *reply = NULL;
        size_t zero = 0;
        int r;

        r = proto_send(c, call, fds, n_fds, secret);
        if (r < 0)
                return r;
        r = proto_recv(c, &reply, ret_fds, ret_n_fds ? ret_n_fds : &zero, timeout_ms);
        if (r < 0)
                return r;
        if (proto_method(reply)) { /* a call where a reply belongs */
                json_object_put(reply);
                return -EBADMSG;
        }
        *ret = reply;
        return proto_error(reply) ? -EREMOTE : 0;
}
