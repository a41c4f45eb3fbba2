/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* The user record schema (schema/user-record.schema.yaml): parsed into a table
 * of properties and used to validate records given as json-c objects. See the
 * top of the schema file for the keywords understood here. */

enum schema_type {
        SCHEMA_STRING,
        SCHEMA_INTEGER,
        SCHEMA_BOOLEAN,
        SCHEMA_STRING_ARRAY, /* "array": a list of strings, each checked by the string keywords */
};

struct schema;
struct schema_property;

/* The schema built into the library (user_record_schema_yaml), parsed once
 * (thread-safe) and kept for the life of the process. Returns 0 and a borrowed
 * pointer, or -EBADMSG if the built-in schema is broken (logged). */
int schema_get(const struct schema **ret);

/* Parse a schema text (the built-in one, or the file, for tests). On failure
 * returns negative errno and a malloc'ed message in *error if non-NULL. */
int schema_parse(const char *text, size_t len, const char *origin, struct schema **ret, char **error);
void schema_free(struct schema *s);
static inline void schema_freep(struct schema **s) {
        schema_free(*s);
}
#define _cleanup_schema_ __attribute__((cleanup(schema_freep)))

/* Validate an object against the schema: it must be an object, every key a
 * known property of the right type within its constraints, every required
 * property present. lines (from yaml_to_json(), may be NULL) gives line
 * numbers. Returns 0, or -EINVAL and in *error (if non-NULL) a malloc'ed
 *     "ORIGIN:LINE: field 'NAME': PROBLEM"   (":LINE" only when known). */
int schema_validate(const struct schema *s, struct json_object *o, struct json_object *lines,
                    const char *origin, char **error);

/* Validate one value for one property (e.g. a `homefsctl update` option).
 * An unknown name gives -ENOENT (with a message). line 0: unknown. */
int schema_validate_property(const struct schema *s, const char *name, struct json_object *value,
                             const char *origin, unsigned line, char **error);

/* Properties, in schema order. */
size_t schema_n_properties(const struct schema *s);
const struct schema_property *schema_property_at(const struct schema *s, size_t i);
const struct schema_property *schema_find_property(const struct schema *s, const char *name);

const char *schema_property_name(const struct schema_property *p);
const char *schema_property_description(const struct schema_property *p);
enum schema_type schema_property_type(const struct schema_property *p);
bool schema_property_changeable(const struct schema_property *p);
/* Borrowed; NULL when the property has no default. String defaults may hold
 * "${userName}", which user_record_apply_defaults() substitutes. */
struct json_object *schema_property_default(const struct schema_property *p);
bool schema_property_required(const struct schema_property *p);

/* The schema's "examples" array (borrowed; NULL if none). */
struct json_object *schema_examples(const struct schema *s);

/* Shortcuts over the built-in schema. schema_field_changeable() returns 1 or
 * 0, -ENOENT for an unknown field. schema_field_default() returns 0 and a
 * borrowed object (NULL: no default), -ENOENT for an unknown field. */
int schema_field_changeable(const char *name);
int schema_field_default(const char *name, struct json_object **ret);
