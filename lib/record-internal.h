/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What record.c shares with record-yaml.c and record-file.c: the field
 * table and its readers. Not for use outside these three files. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "record.h"

enum field_kind {
        FIELD_STRING, /* char *, NULL when unset */
        FIELD_U32,    /* uint32_t, 0 when unset */
        FIELD_U64,    /* uint64_t, 0 when unset */
        FIELD_BOOL,   /* bool, false when unset */
        FIELD_STRV,   /* char **, NULL-terminated, NULL when unset (never empty) */
};

struct field {
        const char *name;
        enum field_kind kind;
        size_t offset;
};

/* Every field of struct user_record, in struct (and schema) order. */
extern const struct field record_fields[];
extern const size_t record_fields_n;

static inline const char *field_string_get(const struct user_record *r, const struct field *f) {
        return *(char *const *) ((const uint8_t *) r + f->offset);
}

static inline char *const *field_strv_get(const struct user_record *r, const struct field *f) {
        return *(char **const *) ((const uint8_t *) r + f->offset);
}

static inline bool field_bool_get(const struct user_record *r, const struct field *f) {
        return *(const bool *) ((const uint8_t *) r + f->offset);
}

static inline uint64_t field_uint_get(const struct user_record *r, const struct field *f) {
        const uint8_t *p = (const uint8_t *) r + f->offset;

        if (f->kind == FIELD_U32)
                return *(const uint32_t *) p;
        return *(const uint64_t *) p;
}

static inline bool field_is_set(const struct user_record *r, const struct field *f) {
        switch (f->kind) {
        case FIELD_STRING:
                return field_string_get(r, f) != NULL;
        case FIELD_U32:
        case FIELD_U64:
                return field_uint_get(r, f) != 0;
        case FIELD_BOOL:
                return field_bool_get(r, f);
        case FIELD_STRV:
                return field_strv_get(r, f) != NULL;
        }
        return false;
}


/* A record from JSON checked against the schema; lines (from yaml_to_json(),
 * or NULL) gives the line of each field for messages. */
int record_from_json_lines(struct json_object *o, struct json_object *lines, const char *origin,
                           struct user_record **ret, char **error);
