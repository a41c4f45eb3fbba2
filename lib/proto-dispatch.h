/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

/* A method's parameters declared as a table and checked in one place, after
 * systemd's sd_json_dispatch_field tables: each row names a member of the
 * call's "parameters" object, its type, where in the method's own struct the
 * value goes, and whether it must be there.
 *
 *     struct remove_params { bool force; };
 *     static const struct proto_field fields[] = {
 *             { "force", PROTO_BOOL, offsetof(struct remove_params, force) },
 *             {}
 *     };
 *     struct remove_params p = {};   (defaults: absent members leave them)
 *     r = proto_dispatch(params, fields, &p, &bad);
 *
 * Strings are borrowed from params (valid while the message lives). */

enum proto_type {
        PROTO_STRING, /* const char *: no NUL inside, at most .max bytes (UTF-8: proto_parse checked it) */
        PROTO_BOOL,   /* bool */
        PROTO_U64,    /* uint64_t: a non-negative integer, at most .max (0: any) */
        PROTO_OBJECT, /* struct json_object *, an object (borrowed) */
        PROTO_ARRAY,  /* struct json_object *, an array of at most .max elements (0: any; borrowed) */
        PROTO_ANY,    /* struct json_object *, any type (the .check or the method decides) */
};

enum {
        PROTO_REQUIRED = 1U << 0,       /* absent (or null): -ENOENT */
        PROTO_EMPTY_IS_ABSENT = 1U << 1, /* strings: "" counts as absent (an optional secret not given) */
};

struct proto_field {
        const char *name;
        enum proto_type type;
        size_t offset;
        unsigned flags;
        uint64_t max;
        /* Set: it stores the value at dest (base + offset) instead of the
         * table, after the type and bound checks passed; it returns 0, or
         * -EINVAL to refuse the value (a user name that is no user name, a
         * key line that does not parse). */
        int (*check)(struct json_object *v, void *dest);
};

/* Check and store the members of params that table names, in table order
 * (terminated by a row with a NULL name). Returns 0; or -ENOENT for a
 * required member that is absent or null, -EINVAL for a member of the wrong
 * type, out of bounds or refused by its check: then *ret_bad (if not NULL)
 * is the row's name and members later in the table are untouched. A member
 * that is absent or null leaves base as it was (set defaults before).
 * Members params has that table does not name are ignored: the agent's
 * methods always accepted them (a newer client may send more). params
 * NULL is an empty object. */
int proto_dispatch(struct json_object *params, const struct proto_field *table, void *base, const char **ret_bad);
