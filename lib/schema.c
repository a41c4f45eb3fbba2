/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>

#include "json-util.h"
#include "log.h"
#include "macro.h"
#include "record.h"
#include "schema.h"
#include "yaml-json.h"

#define SCHEMA_PROPERTIES_MAX 256U

struct schema_property {
        const char *name;               /* all strings and objects borrowed from schema->root */
        const char *description;
        const char *pattern_description;
        enum schema_type type;
        bool changeable;
        bool required;
        struct json_object *def;
        struct json_object *enumeration; /* array */
        bool has_minimum, has_maximum;
        int64_t minimum, maximum;
        bool has_min_length, has_max_length;
        int64_t min_length, max_length;
        bool has_max_items;             /* array: at most this many items */
        int64_t max_items;
        const char *pattern;            /* NULL: none */
        bool has_regex;                 /* regex compiled (and to be freed) */
        regex_t regex;
};

struct schema {
        struct json_object *root;
        struct schema_property *properties;
        size_t n_properties;
        struct json_object *examples;
};

/* Store "ORIGIN[:LINE]: [field 'NAME': ]PROBLEM" in *error (if error is
 * non-NULL) and return r. */
static int set_error(char **error, int r, const char *origin, unsigned line, const char *field,
                     const char *fmt, ...) _printf_(6, 7);
static int set_error(char **error, int r, const char *origin, unsigned line, const char *field,
                     const char *fmt, ...) {
        _cleanup_free_ char *problem = NULL;
        char where[16] = "";
        va_list ap;
        int k;

        if (!error)
                return r;
        va_start(ap, fmt);
        k = vasprintf(&problem, fmt, ap);
        va_end(ap);
        if (k < 0)
                return record_set_error(error, -ENOMEM, "out of memory");
        if (line > 0)
                snprintf(where, sizeof(where), ":%u", line);
        if (field)
                return record_set_error(error, r, "%s%s: field '%s': %s", origin ?: "input", where, field, problem);
        return record_set_error(error, r, "%s%s: %s", origin ?: "input", where, problem);
}

static const char *schema_type_to_string(enum schema_type t) {
        switch (t) {
        case SCHEMA_STRING:
                return "a string";
        case SCHEMA_INTEGER:
                return "an integer";
        case SCHEMA_BOOLEAN:
                return "a boolean (true or false)";
        case SCHEMA_STRING_ARRAY:
                return "a list of strings";
        }
        return "?";
}

static const char *json_type_to_string(struct json_object *v) {
        switch (json_object_get_type(v)) {
        case json_type_null:
                return "null";
        case json_type_boolean:
                return "a boolean";
        case json_type_double:
                return "a number with a fraction";
        case json_type_int:
                return "an integer";
        case json_type_object:
                return "a mapping";
        case json_type_array:
                return "a list";
        case json_type_string:
                return "a string";
        }
        return "?";
}

static bool json_matches_type(struct json_object *v, enum schema_type t) {
        switch (t) {
        case SCHEMA_STRING:
                return json_object_is_type(v, json_type_string);
        case SCHEMA_INTEGER:
                return json_object_is_type(v, json_type_int);
        case SCHEMA_BOOLEAN:
                return json_object_is_type(v, json_type_boolean);
        case SCHEMA_STRING_ARRAY:
                return json_object_is_type(v, json_type_array);
        }
        return false;
}

/* json-c keeps integers above INT64_MAX as uint64 and clamps get_int64(). */
static bool json_int_above_int64(struct json_object *v) {
        return json_object_get_int64(v) == INT64_MAX && json_object_get_uint64(v) > (uint64_t) INT64_MAX;
}

static bool enum_contains(struct json_object *enumeration, struct json_object *v) {
        size_t n = json_object_array_length(enumeration);

        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(enumeration, i);

                if (json_object_is_type(v, json_type_string) && json_object_is_type(e, json_type_string)) {
                        if (streq(json_object_get_string(v), json_object_get_string(e)))
                                return true;
                } else if (json_object_is_type(v, json_type_int) && json_object_is_type(e, json_type_int)) {
                        if (!json_int_above_int64(v) && json_object_get_int64(v) == json_object_get_int64(e))
                                return true;
                }
        }
        return false;
}

/* "a, b, c" from the enum, for messages. */
static char *enum_to_string(struct json_object *enumeration) {
        size_t n = json_object_array_length(enumeration), len = 1;
        char *s, *p;

        for (size_t i = 0; i < n; i++)
                len += strlen(json_object_get_string(json_object_array_get_idx(enumeration, i))) + 2;
        s = p = malloc(len);
        if (!s)
                return NULL;
        *p = '\0';
        for (size_t i = 0; i < n; i++)
                p += sprintf(p, "%s%s", i > 0 ? ", " : "",
                             json_object_get_string(json_object_array_get_idx(enumeration, i)));
        return s;
}

/* Describe a problem with a value: always returns -EINVAL (or -ENOMEM). */
static int problemf(char **problem, const char *fmt, ...) _printf_(2, 3);
static int problemf(char **problem, const char *fmt, ...) {
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(problem, fmt, ap);
        va_end(ap);
        if (k < 0) {
                *problem = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

static int check_string(const struct schema_property *p, struct json_object *v, char **problem) {
        const char *s = json_object_get_string(v);
        size_t len = (size_t) json_object_get_string_len(v);

        if (strlen(s) != len)
                return problemf(problem, "must not contain NUL bytes");
        if (p->has_min_length && len < (uint64_t) p->min_length)
                return problemf(problem, "must be at least %" PRIi64 " bytes long", p->min_length);
        if (p->has_max_length && len > (uint64_t) p->max_length)
                return problemf(problem, "must be at most %" PRIi64 " bytes long", p->max_length);
        if (p->has_regex && regexec(&p->regex, s, 0, NULL, 0) != 0) {
                if (p->pattern_description)
                        return problemf(problem, "is not valid: must be %s", p->pattern_description);
                return problemf(problem, "is not valid: must match %s", p->pattern);
        }
        return 0;
}

static int check_integer(const struct schema_property *p, struct json_object *v, char **problem) {
        int64_t n = json_object_get_int64(v);

        if (json_int_above_int64(v) && p->has_maximum)
                return problemf(problem, "must be at most %" PRIi64, p->maximum);
        if (json_int_above_int64(v))
                return problemf(problem, "is out of range");
        if (p->has_minimum && n < p->minimum)
                return problemf(problem, "must be at least %" PRIi64, p->minimum);
        if (p->has_maximum && n > p->maximum)
                return problemf(problem, "must be at most %" PRIi64, p->maximum);
        return 0;
}

/* A list of strings: each item is checked like a string property. */
static int check_string_array(const struct schema_property *p, struct json_object *v, char **problem) {
        size_t n = json_object_array_length(v);
        int r;

        if (p->has_max_items && n > (uint64_t) p->max_items)
                return problemf(problem, "must have at most %" PRIi64 " items", p->max_items);
        for (size_t i = 0; i < n; i++) {
                struct json_object *item = json_object_array_get_idx(v, i);
                _cleanup_free_ char *inner = NULL;

                if (!json_object_is_type(item, json_type_string))
                        return problemf(problem, "item %zu must be a string, not %s", i + 1, json_type_to_string(item));
                r = check_string(p, item, &inner);
                if (r == -EINVAL)
                        return problemf(problem, "item %zu %s", i + 1, inner);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Check one value against one property. On failure returns -EINVAL and a
 * malloc'ed description of the problem in *problem. */
static int property_check(const struct schema_property *p, struct json_object *v, char **problem) {
        int r;

        if (!json_matches_type(v, p->type))
                return problemf(problem, "must be %s, not %s", schema_type_to_string(p->type),
                                json_type_to_string(v));

        if (p->type == SCHEMA_STRING)
                r = check_string(p, v, problem);
        else if (p->type == SCHEMA_INTEGER)
                r = check_integer(p, v, problem);
        else if (p->type == SCHEMA_STRING_ARRAY)
                r = check_string_array(p, v, problem);
        else
                r = 0;
        if (r < 0)
                return r;

        if (p->enumeration && !enum_contains(p->enumeration, v)) {
                _cleanup_free_ char *allowed = enum_to_string(p->enumeration);

                if (!allowed)
                        return -ENOMEM;
                return problemf(problem, "must be one of: %s", allowed);
        }
        return 0;
}

const struct schema_property *schema_find_property(const struct schema *s, const char *name) {
        if (!s || !name)
                return NULL;
        for (size_t i = 0; i < s->n_properties; i++)
                if (streq(s->properties[i].name, name))
                        return &s->properties[i];
        return NULL;
}

int schema_validate_property(const struct schema *s, const char *name, struct json_object *value,
                             const char *origin, unsigned line, char **error) {
        const struct schema_property *p = schema_find_property(s, name);
        _cleanup_free_ char *problem = NULL;
        int r;

        if (!s || !name)
                return -EINVAL;
        if (!p)
                return set_error(error, -ENOENT, origin, line, name, "unknown field");

        r = property_check(p, value, &problem);
        if (r == -EINVAL)
                return set_error(error, r, origin, line, name, "%s", problem);
        return r;
}

int schema_validate(const struct schema *s, struct json_object *o, struct json_object *lines,
                    const char *origin, char **error) {
        int r;

        if (error)
                *error = NULL;
        if (!s)
                return -EINVAL;
        if (!json_object_is_type(o, json_type_object))
                return set_error(error, -EINVAL, origin, 0, NULL,
                                 "a user record must be a mapping of fields, not %s", json_type_to_string(o));

        json_object_object_foreach(o, key, value) {
                r = schema_validate_property(s, key, value, origin, yaml_json_line(lines, key), error);
                if (r == -ENOENT)
                        return -EINVAL;
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < s->n_properties; i++)
                if (s->properties[i].required && !json_object_object_get_ex(o, s->properties[i].name, NULL))
                        return set_error(error, -EINVAL, origin, 0, s->properties[i].name, "is required");
        return 0;
}

/* Parsing the schema itself. Errors name the property; these are bugs in the
 * schema file, found by the unit tests. */

static int kw_string(struct json_object *v, const char *origin, const char *prop, const char *kw,
                     const char **ret, char **error) {
        if (!json_object_is_type(v, json_type_string))
                return set_error(error, -EBADMSG, origin, 0, prop, "schema keyword '%s' must be a string", kw);
        *ret = json_object_get_string(v);
        return 0;
}

static int kw_integer(struct json_object *v, const char *origin, const char *prop, const char *kw,
                      int64_t *ret, char **error) {
        if (!json_object_is_type(v, json_type_int) || json_int_above_int64(v))
                return set_error(error, -EBADMSG, origin, 0, prop, "schema keyword '%s' must be an integer", kw);
        *ret = json_object_get_int64(v);
        return 0;
}

static int kw_length(struct json_object *v, const char *origin, const char *prop, const char *kw,
                     int64_t *ret, char **error) {
        int r = kw_integer(v, origin, prop, kw, ret, error);

        if (r < 0)
                return r;
        if (*ret < 0)
                return set_error(error, -EBADMSG, origin, 0, prop, "schema keyword '%s' must not be negative", kw);
        return 0;
}

static int kw_type(struct json_object *v, const char *origin, const char *prop,
                   enum schema_type *ret, char **error) {
        const char *t = json_object_get_string(v);

        if (!json_object_is_type(v, json_type_string))
                t = "";
        if (streq(t, "string"))
                *ret = SCHEMA_STRING;
        else if (streq(t, "integer"))
                *ret = SCHEMA_INTEGER;
        else if (streq(t, "boolean"))
                *ret = SCHEMA_BOOLEAN;
        else if (streq(t, "array"))
                *ret = SCHEMA_STRING_ARRAY;
        else
                return set_error(error, -EBADMSG, origin, 0, prop,
                                 "schema type must be one of: string, integer, boolean, array");
        return 0;
}

static int property_parse_keyword(struct schema_property *p, const char *kw, struct json_object *v,
                                  const char *origin, bool *seen_type, bool *seen_changeable, char **error) {
        const char *prop = p->name;

        if (streq(kw, "type")) {
                *seen_type = true;
                return kw_type(v, origin, prop, &p->type, error);
        }
        if (streq(kw, "description"))
                return kw_string(v, origin, prop, kw, &p->description, error);
        if (streq(kw, "patternDescription"))
                return kw_string(v, origin, prop, kw, &p->pattern_description, error);
        if (streq(kw, "pattern"))
                return kw_string(v, origin, prop, kw, &p->pattern, error);
        if (streq(kw, "changeable")) {
                if (!json_object_is_type(v, json_type_boolean))
                        return set_error(error, -EBADMSG, origin, 0, prop,
                                         "schema keyword 'changeable' must be a boolean");
                p->changeable = json_object_get_boolean(v);
                *seen_changeable = true;
                return 0;
        }
        if (streq(kw, "default")) {
                p->def = v;
                return 0;
        }
        if (streq(kw, "enum")) {
                if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
                        return set_error(error, -EBADMSG, origin, 0, prop,
                                         "schema keyword 'enum' must be a non-empty list");
                p->enumeration = v;
                return 0;
        }
        if (streq(kw, "minimum")) {
                p->has_minimum = true;
                return kw_integer(v, origin, prop, kw, &p->minimum, error);
        }
        if (streq(kw, "maximum")) {
                p->has_maximum = true;
                return kw_integer(v, origin, prop, kw, &p->maximum, error);
        }
        if (streq(kw, "minLength")) {
                p->has_min_length = true;
                return kw_length(v, origin, prop, kw, &p->min_length, error);
        }
        if (streq(kw, "maxLength")) {
                p->has_max_length = true;
                return kw_length(v, origin, prop, kw, &p->max_length, error);
        }
        if (streq(kw, "maxItems")) {
                p->has_max_items = true;
                return kw_length(v, origin, prop, kw, &p->max_items, error);
        }
        return set_error(error, -EBADMSG, origin, 0, prop, "unknown schema keyword '%s'", kw);
}

/* Consistency of one parsed property: keywords fit its type, the pattern
 * compiles, the enum values and the default are themselves valid. */
static int property_finish(struct schema_property *p, const char *origin, char **error) {
        _cleanup_free_ char *problem = NULL;
        size_t n;
        int r;

        if ((p->has_minimum || p->has_maximum) && p->type != SCHEMA_INTEGER)
                return set_error(error, -EBADMSG, origin, 0, p->name, "minimum/maximum need type integer");
        if ((p->has_min_length || p->has_max_length || p->pattern || p->pattern_description) &&
            p->type != SCHEMA_STRING && p->type != SCHEMA_STRING_ARRAY)
                return set_error(error, -EBADMSG, origin, 0, p->name,
                                 "minLength/maxLength/pattern need type string or array");
        if (p->has_max_items && p->type != SCHEMA_STRING_ARRAY)
                return set_error(error, -EBADMSG, origin, 0, p->name, "maxItems needs type array");
        if (p->enumeration && p->type == SCHEMA_STRING_ARRAY)
                return set_error(error, -EBADMSG, origin, 0, p->name, "enum does not apply to type array");
        if (p->has_minimum && p->has_maximum && p->minimum > p->maximum)
                return set_error(error, -EBADMSG, origin, 0, p->name, "minimum is above maximum");
        if (p->has_min_length && p->has_max_length && p->min_length > p->max_length)
                return set_error(error, -EBADMSG, origin, 0, p->name, "minLength is above maxLength");

        if (p->pattern) {
                if (p->pattern[0] != '^' || p->pattern[strlen(p->pattern) - 1] != '$')
                        return set_error(error, -EBADMSG, origin, 0, p->name,
                                         "pattern must be anchored with ^...$");
                if (regcomp(&p->regex, p->pattern, REG_EXTENDED | REG_NOSUB) != 0)
                        return set_error(error, -EBADMSG, origin, 0, p->name, "pattern does not compile");
                p->has_regex = true;
        }

        n = p->enumeration ? json_object_array_length(p->enumeration) : 0;
        for (size_t i = 0; i < n; i++)
                if (!json_matches_type(json_object_array_get_idx(p->enumeration, i), p->type))
                        return set_error(error, -EBADMSG, origin, 0, p->name, "enum value of the wrong type");

        if (p->def) {
                r = property_check(p, p->def, &problem);
                if (r == -EINVAL)
                        return set_error(error, -EBADMSG, origin, 0, p->name, "default %s", problem);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int property_parse(struct schema_property *p, const char *name, struct json_object *def,
                          const char *origin, char **error) {
        bool seen_type = false, seen_changeable = false;
        int r;

        p->name = name;
        if (!json_object_is_type(def, json_type_object))
                return set_error(error, -EBADMSG, origin, 0, name, "property definition must be a mapping");

        json_object_object_foreach(def, kw, v) {
                r = property_parse_keyword(p, kw, v, origin, &seen_type, &seen_changeable, error);
                if (r < 0)
                        return r;
        }

        if (!seen_type)
                return set_error(error, -EBADMSG, origin, 0, name, "property has no type");
        if (!p->description)
                return set_error(error, -EBADMSG, origin, 0, name, "property has no description");
        if (!seen_changeable)
                return set_error(error, -EBADMSG, origin, 0, name, "property has no 'changeable'");
        return property_finish(p, origin, error);
}

static int schema_parse_properties(struct schema *s, struct json_object *props,
                                   const char *origin, unsigned line, char **error) {
        size_t n;

        if (!json_object_is_type(props, json_type_object))
                return set_error(error, -EBADMSG, origin, line, NULL, "'properties' must be a mapping");
        n = (size_t) json_object_object_length(props);
        if (n == 0 || n > SCHEMA_PROPERTIES_MAX)
                return set_error(error, -EBADMSG, origin, line, NULL, "'properties' must have 1..%u entries",
                                 SCHEMA_PROPERTIES_MAX);

        s->properties = calloc(n, sizeof(struct schema_property));
        if (!s->properties)
                return -ENOMEM;

        json_object_object_foreach(props, name, def) {
                /* Count first: schema_free() regfree()s the counted ones. */
                int r = property_parse(&s->properties[s->n_properties++], name, def, origin, error);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int schema_parse_required(struct schema *s, struct json_object *req,
                                 const char *origin, unsigned line, char **error) {
        size_t n;

        if (!json_object_is_type(req, json_type_array))
                return set_error(error, -EBADMSG, origin, line, NULL, "'required' must be a list");
        n = json_object_array_length(req);
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(req, i);
                struct schema_property *p;

                if (!json_object_is_type(e, json_type_string))
                        return set_error(error, -EBADMSG, origin, line, NULL,
                                         "'required' must list property names");
                p = (struct schema_property *) schema_find_property(s, json_object_get_string(e));
                if (!p)
                        return set_error(error, -EBADMSG, origin, line, json_object_get_string(e),
                                         "required but not defined in 'properties'");
                p->required = true;
        }
        return 0;
}

static int schema_parse_root(struct schema *s, struct json_object *lines, const char *origin, char **error) {
        struct json_object *v;
        int r;

        if (!json_object_is_type(s->root, json_type_object))
                return set_error(error, -EBADMSG, origin, 0, NULL, "the schema must be a mapping");

        json_object_object_foreach(s->root, key, value) {
                unsigned line = yaml_json_line(lines, key);

                if (streq(key, "title") || streq(key, "description")) {
                        if (!json_object_is_type(value, json_type_string))
                                return set_error(error, -EBADMSG, origin, line, NULL,
                                                 "'%s' must be a string", key);
                } else if (streq(key, "examples")) {
                        if (!json_object_is_type(value, json_type_array))
                                return set_error(error, -EBADMSG, origin, line, NULL, "'examples' must be a list");
                        s->examples = value;
                } else if (!streq(key, "properties") && !streq(key, "required"))
                        return set_error(error, -EBADMSG, origin, line, NULL, "unknown schema keyword '%s'", key);
        }

        if (!json_object_object_get_ex(s->root, "properties", &v))
                return set_error(error, -EBADMSG, origin, 0, NULL, "the schema has no 'properties'");
        r = schema_parse_properties(s, v, origin, yaml_json_line(lines, "properties"), error);
        if (r < 0)
                return r;

        if (json_object_object_get_ex(s->root, "required", &v))
                return schema_parse_required(s, v, origin, yaml_json_line(lines, "required"), error);
        return 0;
}

int schema_parse(const char *text, size_t len, const char *origin, struct schema **ret, char **error) {
        _cleanup_json_ struct json_object *lines = NULL;
        _cleanup_schema_ struct schema *s = NULL;
        int r;

        if (error)
                *error = NULL;
        if (!text || !ret)
                return -EINVAL;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;

        r = yaml_to_json(text, len, origin, &s->root, &lines, error);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;

        r = schema_parse_root(s, lines, origin, error);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(s);
        return 0;
}

void schema_free(struct schema *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n_properties; i++)
                if (s->properties[i].has_regex)
                        regfree(&s->properties[i].regex);
        free(s->properties);
        json_object_put(s->root);
        free(s);
}

static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
static struct schema *builtin_schema; /* kept until exit */

static void builtin_load(void) {
        _cleanup_free_ char *error = NULL;
        int r;

        r = schema_parse(user_record_schema_yaml, strlen(user_record_schema_yaml),
                         "built-in user record schema", &builtin_schema, &error);
        if (r < 0 && error)
                log_error("failed to load the user record schema: %s", error);
        else if (r < 0)
                log_error_errno(r, "failed to load the user record schema: %m");
}

/* Free it when the library goes away: at exit, and when pam_homefs.so (which
 * links this library in) is unloaded by pam_end(), possibly once per login
 * in a long-running daemon. */
__attribute__((destructor)) static void builtin_free(void) {
        schema_free(builtin_schema);
        builtin_schema = NULL;
}

int schema_get(const struct schema **ret) {
        if (!ret)
                return -EINVAL;
        if (pthread_once(&builtin_once, builtin_load) != 0)
                return -EBADMSG;
        if (!builtin_schema)
                return -EBADMSG;
        *ret = builtin_schema;
        return 0;
}

size_t schema_n_properties(const struct schema *s) {
        return s ? s->n_properties : 0;
}

const struct schema_property *schema_property_at(const struct schema *s, size_t i) {
        if (!s || i >= s->n_properties)
                return NULL;
        return &s->properties[i];
}

const char *schema_property_name(const struct schema_property *p) {
        return p->name;
}

const char *schema_property_description(const struct schema_property *p) {
        return p->description;
}

enum schema_type schema_property_type(const struct schema_property *p) {
        return p->type;
}

bool schema_property_changeable(const struct schema_property *p) {
        return p->changeable;
}

struct json_object *schema_property_default(const struct schema_property *p) {
        return p->def;
}

bool schema_property_required(const struct schema_property *p) {
        return p->required;
}

struct json_object *schema_examples(const struct schema *s) {
        return s ? s->examples : NULL;
}

int schema_field_changeable(const char *name) {
        const struct schema *s;
        const struct schema_property *p;
        int r;

        r = schema_get(&s);
        if (r < 0)
                return r;
        p = schema_find_property(s, name);
        if (!p)
                return -ENOENT;
        return p->changeable;
}

int schema_field_default(const char *name, struct json_object **ret) {
        const struct schema *s;
        const struct schema_property *p;
        int r;

        if (!ret)
                return -EINVAL;
        r = schema_get(&s);
        if (r < 0)
                return r;
        p = schema_find_property(s, name);
        if (!p)
                return -ENOENT;
        *ret = p->def;
        return 0;
}
