/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proto_dispatch(): a method's parameter table checked in one place: types,
 * required members, bounds, NUL in strings, checks, and what is left alone. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "proto-dispatch.h"
#include "proto.h"
#include "tap.h"

struct params {
        const char *name;
        const char *secret;
        bool flag;
        uint64_t count;
        struct json_object *obj, *arr, *any;
        int checked;
};

static int check_even(struct json_object *v, void *dest) {
        int64_t n = json_object_get_int64(v);

        if (n % 2)
                return -EINVAL;
        *(int *) dest = (int) n;
        return 0;
}

static const struct proto_field fields[] = {
        { "name", PROTO_STRING, offsetof(struct params, name), PROTO_REQUIRED, 8 },
        { "secret", PROTO_STRING, offsetof(struct params, secret), PROTO_EMPTY_IS_ABSENT, 16 },
        { "flag", PROTO_BOOL, offsetof(struct params, flag) },
        { "count", PROTO_U64, offsetof(struct params, count), 0, 100 },
        { "obj", PROTO_OBJECT, offsetof(struct params, obj) },
        { "arr", PROTO_ARRAY, offsetof(struct params, arr), 0, 2 },
        { "any", PROTO_ANY, offsetof(struct params, any) },
        { "even", PROTO_U64, offsetof(struct params, checked), 0, 0, check_even },
        {}
};

/* Dispatch the parameters of a whole message, as the agent gets them (so
 * the wire parser's own checks come first). */
static int dispatch(const char *params_json, struct params *p, const char **bad) {
        char buf[4096];
        struct json_object *msg = NULL;
        int r;

        snprintf(buf, sizeof(buf), "{\"method\":\"io.homefs.Agent.Test\",\"parameters\":%s}", params_json);
        *p = (struct params) { .flag = true, .count = 7, .checked = -1 };
        *bad = NULL;
        if (proto_parse(buf, strlen(buf), &msg) < 0)
                return -EBADMSG;
        r = proto_dispatch(proto_parameters(msg), fields, p, bad);
        json_object_put(msg); /* p's strings and objects dangle now: the callers look at the rest */
        return r;
}

#define REFUSED(json, err, field, what)                                                             \
        do {                                                                                          \
                struct params p;                                                                      \
                const char *bad;                                                                      \
                int r = dispatch(json, &p, &bad);                                                     \
                tap_ok(r == (err) && bad && strcmp(bad, field) == 0, "%s (%d, %s)", what, r, bad ?: "-"); \
        } while (0)

static void test_types(void) {
        struct json_object *msg = NULL, *params;
        const char *bad = NULL;
        struct params p = { .flag = true, .count = 7, .checked = -1 };
        const char *m = "{\"method\":\"io.homefs.Agent.Test\",\"parameters\":{\"name\":\"alice\",\"secret\":\"s3\","
                        "\"flag\":false,\"count\":100,\"obj\":{\"a\":1},\"arr\":[1,2],\"any\":\"x\",\"even\":4}}";

        tap_ok(proto_parse(m, strlen(m), &msg) == 0, "a call with every type parses");
        params = proto_parameters(msg);
        tap_ok(proto_dispatch(params, fields, &p, &bad) == 0, "and dispatches");
        tap_ok(p.name && streq(p.name, "alice"), "string stored");
        tap_ok(p.secret && streq(p.secret, "s3"), "optional string stored");
        tap_ok(!p.flag, "bool stored (false over a default of true)");
        TAP_EQ_INT(p.count, 100, "u64 at its bound stored");
        tap_ok(json_object_is_type(p.obj, json_type_object), "object stored");
        tap_ok(json_object_array_length(p.arr) == 2, "array at its bound stored");
        tap_ok(json_object_is_type(p.any, json_type_string), "any type stored");
        TAP_EQ_INT(p.checked, 4, "a check stores what it accepted");
        json_object_put(msg);

        m = "{\"method\":\"io.homefs.Agent.Test\",\"parameters\":{\"name\":\"bob\",\"secret\":\"\",\"flag\":null,"
            "\"unknown\":[{\"deep\":true}],\"Name\":5}}";
        p = (struct params) { .flag = true, .count = 7, .checked = -1 };
        tap_ok(proto_parse(m, strlen(m), &msg) == 0 && proto_dispatch(proto_parameters(msg), fields, &p, &bad) == 0,
               "unknown members (and a differently cased one) are ignored");
        tap_ok(p.flag && p.count == 7 && p.checked == -1 && !p.obj && !p.arr && !p.any,
               "absent and null members leave the defaults");
        tap_ok(!p.secret, "an empty string marked EMPTY_IS_ABSENT is absent");
        json_object_put(msg);

        p = (struct params) {};
        tap_ok(proto_dispatch(NULL, fields, &p, &bad) == -ENOENT && streq(bad, "name"),
               "no parameters at all: the required member is missing");
        tap_ok(proto_dispatch(NULL, (const struct proto_field[]) { {} }, &p, NULL) == 0, "an empty table accepts anything");
}

static void test_refused(void) {
        REFUSED("{}", -ENOENT, "name", "a required member absent is -ENOENT");
        REFUSED("{\"name\":null}", -ENOENT, "name", "a required member null is -ENOENT");
        REFUSED("{\"name\":5}", -EINVAL, "name", "a number for a string is -EINVAL");
        REFUSED("{\"name\":[\"a\"]}", -EINVAL, "name", "an array for a string");
        REFUSED("{\"name\":\"123456789\"}", -EINVAL, "name", "a string one byte over its bound");
        REFUSED("{\"name\":\"a\\u0000b\"}", -EINVAL, "name", "a string with a NUL inside");
        REFUSED("{\"name\":\"a\",\"secret\":\"x\\u0000\"}", -EINVAL, "secret", "an optional string with a NUL at its end");
        REFUSED("{\"name\":\"a\",\"flag\":1}", -EINVAL, "flag", "a number for a bool");
        REFUSED("{\"name\":\"a\",\"flag\":\"true\"}", -EINVAL, "flag", "a string for a bool");
        REFUSED("{\"name\":\"a\",\"count\":101}", -EINVAL, "count", "a number over its bound");
        REFUSED("{\"name\":\"a\",\"count\":-1}", -EINVAL, "count", "a negative number");
        REFUSED("{\"name\":\"a\",\"count\":1.5}", -EINVAL, "count", "a fraction");
        REFUSED("{\"name\":\"a\",\"count\":\"5\"}", -EINVAL, "count", "a number in a string");
        REFUSED("{\"name\":\"a\",\"count\":18446744073709551615}", -EINVAL, "count", "2^64-1 over a bound of 100");
        REFUSED("{\"name\":\"a\",\"count\":99999999999999999999999}", -EINVAL, "count", "a number beyond 64 bits");
        REFUSED("{\"name\":\"a\",\"obj\":[]}", -EINVAL, "obj", "an array for an object");
        REFUSED("{\"name\":\"a\",\"arr\":{}}", -EINVAL, "arr", "an object for an array");
        REFUSED("{\"name\":\"a\",\"arr\":[1,2,3]}", -EINVAL, "arr", "an array over its bound");
        REFUSED("{\"name\":\"a\",\"even\":3}", -EINVAL, "even", "a value its check refuses");
        REFUSED("{\"name\":\"a\",\"even\":\"4\"}", -EINVAL, "even", "the type is checked before the check runs");
        REFUSED("{\"name\":5,\"count\":101}", -EINVAL, "name", "the first refused member in table order is named");
}

/* What a refusal leaves: members before the refused one are stored, those
 * after are untouched (the method sees no half-read value). */
static void test_partial(void) {
        struct params p;
        const char *bad;

        TAP_EQ_INT(dispatch("{\"name\":\"a\",\"flag\":false,\"count\":1000,\"even\":2}", &p, &bad), -EINVAL,
                   "a number over its bound is refused");
        tap_ok(!p.flag && p.count == 7 && p.checked == -1, "before stored, the refused one and after untouched");
}

static void test_unbounded(void) {
        static const struct proto_field f[] = {
                { "n", PROTO_U64, 0, PROTO_REQUIRED },
                {}
        };
        const char *m = "{\"method\":\"io.homefs.Agent.Test\",\"parameters\":{\"n\":18446744073709551615}}";
        struct json_object *msg = NULL;
        uint64_t n = 0;

        tap_ok(proto_parse(m, strlen(m), &msg) == 0 && proto_dispatch(proto_parameters(msg), f, &n, NULL) == 0 &&
               n == UINT64_MAX, "a u64 without a bound takes 2^64-1");
        json_object_put(msg);
}

int main(void) {
        test_types();
        test_refused();
        test_partial();
        test_unbounded();
        return tap_done();
}
