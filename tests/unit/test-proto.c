/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The wire protocol: framing, fd passing, and rejection of malformed input. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto.h"
#include "tap.h"

static void pair(struct proto_conn **a, struct proto_conn **b) {
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        *a = proto_conn_new(sv[0]);
        *b = proto_conn_new(sv[1]);
}

/* Write raw bytes (incl. NULs) to the peer, then try to receive. */
static int recv_raw(const char *data, size_t len, struct json_object **ret) {
        struct proto_conn *a, *b;
        int r;

        pair(&a, &b);
        if (write(a->fd, data, len) != (ssize_t) len)
                abort();
        shutdown(a->fd, SHUT_WR);
        r = proto_recv(b, ret, NULL, NULL, 1000);
        proto_conn_free(a);
        proto_conn_free(b);
        return r;
}

static void test_round_trip(void) {
        struct proto_conn *a, *b;
        struct json_object *params = json_object_new_object(), *msg = NULL;
        const char *s = NULL;
        bool flag = false;
        unsigned long long n = 0;

        pair(&a, &b);
        json_object_object_add(params, "userName", json_object_new_string("alice"));
        json_object_object_add(params, "force", json_object_new_boolean(true));
        json_object_object_add(params, "n", json_object_new_int64(42));
        msg = proto_call_new("io.homefs.Agent.Lock", params);
        tap_ok(proto_send(a, msg, NULL, 0, true) == 0, "send a call");
        json_object_put(msg);
        msg = NULL;
        tap_ok(proto_recv(b, &msg, NULL, NULL, 1000) == 0, "receive it");
        tap_ok(msg && proto_method(msg) && strcmp(proto_method(msg), "io.homefs.Agent.Lock") == 0, "method survives");
        params = proto_parameters(msg);
        tap_ok(proto_get_string(params, "userName", 64, &s) == 0 && strcmp(s, "alice") == 0, "string parameter");
        tap_ok(proto_get_bool(params, "force", &flag) == 0 && flag, "bool parameter");
        tap_ok(proto_get_u64(params, "n", &n) == 0 && n == 42, "integer parameter");
        tap_ok(proto_get_string(params, "userName", 3, &s) == -EINVAL, "string longer than allowed is rejected");
        tap_ok(proto_get_string(params, "missing", 64, &s) == -ENOENT, "missing parameter is ENOENT");
        tap_ok(proto_get_bool(params, "userName", &flag) == -EINVAL, "wrong type is EINVAL");
        json_object_put(msg);
        proto_conn_free(a);
        proto_conn_free(b);
}

static void test_framing(void) {
        const char two[] = "{\"method\":\"a.B\"}\0{\"parameters\":{}}\0";
        struct proto_conn *a, *b;
        struct json_object *m1 = NULL, *m2 = NULL, *m3 = NULL;

        pair(&a, &b);
        /* Two messages in one write, then one split across two writes. */
        if (write(a->fd, two, sizeof(two) - 1) < 0 || write(a->fd, "{\"error\":\"x.", 12) < 0 ||
            write(a->fd, "Y\"}\0", 4) < 0)
                abort();
        tap_ok(proto_recv(b, &m1, NULL, NULL, 1000) == 0 && proto_method(m1), "first of two messages in one read");
        tap_ok(proto_recv(b, &m2, NULL, NULL, 1000) == 0 && proto_parameters(m2), "second of two messages in one read");
        tap_ok(proto_recv(b, &m3, NULL, NULL, 1000) == 0 && proto_error(m3) && strcmp(proto_error(m3), "x.Y") == 0,
               "a message split across writes");
        shutdown(a->fd, SHUT_WR);
        json_object_put(m1);
        tap_ok(proto_recv(b, &m1, NULL, NULL, 1000) == -ECONNRESET, "clean EOF between messages");
        json_object_put(m2);
        json_object_put(m3);
        proto_conn_free(a);
        proto_conn_free(b);
}

static void test_malformed(void) {
        static const struct {
                const char *data;
                const char *what;
        } bad[] = {
                { "not json", "not JSON" },
                { "[1,2]", "an array" },
                { "\"str\"", "a string" },
                { "{\"method\":\"a.b\",\"junk\":1}", "an unknown top-level key" },
                { "{\"method\":5}", "a method that is not a string" },
                { "{\"method\":\"a b\"}", "a method with a space" },
                { "{\"method\":\"\"}", "an empty method" },
                { "{\"method\":\"a.b\",\"error\":\"c.d\"}", "both method and error" },
                { "{\"method\":\"a.b\",\"parameters\":[]}", "parameters not an object" },
                { "{\"method\":\"a.b\"} trailing", "trailing garbage" },
                { "{\"method\":\"a.b\",\"parameters\":{\"x\":\"\xc3\x28\"}}", "invalid UTF-8" },
                { "{\"method\":\"a.b\",\"parameters\":{\"a\":[[[[[[[[[[1]]]]]]]]]]}}", "nesting too deep" },
                { "{'method':'a.b'}", "single quotes (not strict JSON)" },
                { "{\"method\":\"a.b\",\"more\":1}", "varlink's more flag not a boolean" },
                { "{\"method\":\"a.b\",\"other\":true}", "an unknown top-level key" },
        };
        struct json_object *o = NULL;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char buf[256];
                size_t l = strlen(bad[i].data);

                memcpy(buf, bad[i].data, l + 1);
                tap_ok(recv_raw(buf, l + 1, &o) == -EBADMSG, "reject %s", bad[i].what);
        }
        tap_ok(recv_raw("{\"method\":\"a.b\"", 15, &o) == -EBADMSG, "reject EOF inside a message");
        tap_ok(proto_parse("{\"method\":\"a.b\",\"more\":true,\"oneway\":false}", 43, &o) == 0,
               "accept varlink's more and oneway flags");
        json_object_put(o);
        o = NULL;
        tap_ok(proto_parse("{\"parameters\":{},\"continues\":true}", 34, &o) == 0, "accept varlink's continues flag");
        json_object_put(o);
        o = NULL;
        tap_ok(proto_parse("", 0, &o) == -EBADMSG, "reject an empty message");
}

static void test_oversize(void) {
        size_t n = PROTO_MESSAGE_MAX + 100;
        char *big = malloc(n);
        struct proto_conn *a, *b;
        struct json_object *o = NULL, *params;
        int r;

        memset(big, ' ', n);
        memcpy(big, "{\"method\":\"a.b\"}", 16); /* then spaces, no NUL */
        pair(&a, &b);
        /* The reader must give up at the limit, not wait for a NUL forever. */
        if (fcntl(a->fd, F_SETFL, O_NONBLOCK) < 0)
                abort();
        (void) !write(a->fd, big, n);
        r = proto_recv(b, &o, NULL, NULL, 2000);
        tap_ok(r == -EBADMSG, "reject a message over %u bytes without terminator (r=%d)", PROTO_MESSAGE_MAX, r);
        proto_conn_free(a);
        proto_conn_free(b);

        /* And the sender refuses to produce one. */
        pair(&a, &b);
        params = json_object_new_object();
        big[n - 1] = 0;
        memset(big, 'x', n - 1);
        json_object_object_add(params, "blob", json_object_new_string(big));
        o = proto_call_new("a.b", params);
        tap_ok(proto_send(a, o, NULL, 0, false) == -EMSGSIZE, "refuse to send an oversized message");
        json_object_put(o);
        proto_conn_free(a);
        proto_conn_free(b);
        free(big);
}

static void test_embedded_nul(void) {
        static const char msg[] = "{\"method\":\"a.b\",\"parameters\":{\"userName\":\"ali\\u0000ce\"}}";
        struct json_object *o = NULL;
        const char *s;

        tap_ok(recv_raw(msg, sizeof(msg), &o) == 0, "a \\u0000 escape parses");
        tap_ok(proto_get_string(proto_parameters(o), "userName", 64, &s) == -EINVAL, "but a string with NUL is rejected");
        json_object_put(o);
        tap_ok(recv_raw("{\"meth\0od\":1}", 14, &o) == -EBADMSG, "a raw NUL ends the frame early: rejected");
}

static void test_fds(void) {
        struct proto_conn *a, *b;
        struct json_object *msg, *got = NULL;
        int fds[PROTO_FDS_MAX + 1], rfds[PROTO_FDS_MAX], one = open("/dev/null", O_RDONLY | O_CLOEXEC);
        size_t n = PROTO_FDS_MAX;

        pair(&a, &b);
        msg = proto_call_new("a.b", NULL);
        tap_ok(proto_send(a, msg, &one, 1, false) == 0, "send a message with an fd");
        tap_ok(proto_recv(b, &got, rfds, &n, 1000) == 0 && n == 1 && rfds[0] >= 0, "receive the fd with it");
        if (n == 1)
                close(rfds[0]);
        json_object_put(got);
        got = NULL;

        tap_ok(proto_send(a, msg, &one, 1, false) == 0, "send another with an fd");
        tap_ok(proto_recv(b, &got, NULL, NULL, 1000) == -EBADMSG, "an fd where none is expected is rejected");

        for (size_t i = 0; i <= PROTO_FDS_MAX; i++)
                fds[i] = one;
        tap_ok(proto_send(a, msg, fds, PROTO_FDS_MAX + 1, false) == -EINVAL, "refuse to send too many fds");
        json_object_put(msg);
        close(one);
        proto_conn_free(a);
        proto_conn_free(b);
}

static void test_call_reply(void) {
        struct json_object *e = proto_error_new("io.homefs.Agent.BadCredentials", NULL);
        struct json_object *r = proto_reply_new(NULL);

        tap_ok(proto_error(e) && !proto_method(e) && proto_parameters(e), "error message shape");
        tap_ok(!proto_error(r) && !proto_method(r) && proto_parameters(r), "reply message shape");
        json_object_put(e);
        json_object_put(r);
}

static void test_escaping(void) {
        static const char tricky[] = "q\"uote back\\slash\ttab\nnl\x01ctl \xc3\xa9t\xc3\xa9 /slash";
        struct proto_conn *a, *b;
        struct json_object *params = json_object_new_object(), *arr = json_object_new_array(), *msg, *got = NULL;
        const char *s = NULL;
        unsigned long long big = 0;

        pair(&a, &b);
        json_object_object_add(params, "s", json_object_new_string(tricky));
        json_object_object_add(params, "big", json_object_new_uint64(18446744073709551615ULL));
        json_object_object_add(params, "neg", json_object_new_int64(-5));
        json_object_array_add(arr, json_object_new_boolean(false));
        json_object_array_add(arr, NULL);
        json_object_object_add(params, "arr", arr);
        msg = proto_call_new("a.b", params);
        tap_ok(proto_send(a, msg, NULL, 0, true) == 0, "send strings that need escaping");
        tap_ok(proto_recv(b, &got, NULL, NULL, 1000) == 0, "they parse back");
        tap_ok(proto_get_string(proto_parameters(got), "s", 256, &s) == 0 && strcmp(s, tricky) == 0,
               "quotes, backslashes, control characters and UTF-8 survive");
        tap_ok(proto_get_u64(proto_parameters(got), "big", &big) == 0 && big == 18446744073709551615ULL, "uint64 max survives");
        tap_ok(proto_get_u64(proto_parameters(got), "neg", &big) == -EINVAL, "a negative number is not a u64");
        json_object_put(msg);
        json_object_put(got);
        proto_conn_free(a);
        proto_conn_free(b);
}

int main(void) {
        test_escaping();
        test_round_trip();
        test_framing();
        test_malformed();
        test_oversize();
        test_embedded_nul();
        test_fds();
        test_call_reply();
        return tap_done();
}
