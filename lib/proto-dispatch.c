/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>

#include "proto-dispatch.h"
#include "proto.h"

/* Type and bounds of one present, non-null value; the string, bool or
 * number it carries goes to *s, *b or *u. */
static int check_value(const struct proto_field *f, struct json_object *params, struct json_object *v,
                       const char **s, bool *b, unsigned long long *u) {
        switch (f->type) {
        case PROTO_STRING:
                return proto_get_string(params, f->name, f->max, s);
        case PROTO_BOOL:
                return proto_get_bool(params, f->name, b);
        case PROTO_U64:
                if (proto_get_u64(params, f->name, u) < 0 || (f->max > 0 && *u > f->max))
                        return -EINVAL;
                return 0;
        case PROTO_OBJECT:
                return json_object_is_type(v, json_type_object) ? 0 : -EINVAL;
        case PROTO_ARRAY:
                if (!json_object_is_type(v, json_type_array) ||
                    (f->max > 0 && json_object_array_length(v) > f->max))
                        return -EINVAL;
                return 0;
        case PROTO_ANY:
                return 0;
        }
        return -EINVAL;
}

static void store(const struct proto_field *f, void *dest, struct json_object *v, const char *s, bool b,
                  unsigned long long u) {
        switch (f->type) {
        case PROTO_STRING:
                *(const char **) dest = s;
                break;
        case PROTO_BOOL:
                *(bool *) dest = b;
                break;
        case PROTO_U64:
                *(uint64_t *) dest = (uint64_t) u;
                break;
        case PROTO_OBJECT:
        case PROTO_ARRAY:
        case PROTO_ANY:
                *(struct json_object **) dest = v;
                break;
        }
}

int proto_dispatch(struct json_object *params, const struct proto_field *table, void *base, const char **ret_bad) {
        for (const struct proto_field *f = table; f && f->name; f++) {
                void *dest = (char *) base + f->offset;
                struct json_object *v = NULL;
                unsigned long long u = 0;
                const char *s = NULL;
                bool b = false;
                int r;

                if (!params || !json_object_object_get_ex(params, f->name, &v) || !v)
                        r = -ENOENT; /* json-c gives NULL for null: the same as absent */
                else
                        r = check_value(f, params, v, &s, &b, &u);
                if (r == 0 && f->type == PROTO_STRING && (f->flags & PROTO_EMPTY_IS_ABSENT) && s[0] == 0)
                        r = -ENOENT;
                if (r == -ENOENT && !(f->flags & PROTO_REQUIRED))
                        continue;
                if (r == 0 && f->check)
                        r = f->check(v, dest) < 0 ? -EINVAL : 0;
                else if (r == 0)
                        store(f, dest, v, s, b, u);
                if (r < 0) {
                        if (ret_bad)
                                *ret_bad = f->name;
                        return r == -ENOENT ? -ENOENT : -EINVAL;
                }
        }
        return 0;
}
