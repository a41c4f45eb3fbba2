/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "schema.h"
#include "tap.h"
#include "yaml-json.h"

static bool name_in_table(const char *name) {
        for (size_t i = 0; user_record_field_names[i]; i++)
                if (strcmp(user_record_field_names[i], name) == 0)
                        return true;
        return false;
}

static size_t table_length(void) {
        size_t n = 0;

        while (user_record_field_names[n])
                n++;
        return n;
}

static bool enum_all_positive(struct json_object *def) {
        struct json_object *e;

        if (!json_object_object_get_ex(def, "enum", &e) || json_object_array_length(e) == 0)
                return false;
        for (size_t i = 0; i < json_object_array_length(e); i++)
                if (json_object_get_int64(json_object_array_get_idx(e, i)) <= 0)
                        return false;
        return true;
}

/* Every property: a known field, with type, description and changeable. */
static void check_properties(struct json_object *props) {
        json_object_object_foreach(props, name, def) {
                struct json_object *type, *desc, *changeable, *min;
                const char *t;

                tap_ok(name_in_table(name), "schema property '%s' is in user_record_field_names", name);
                tap_ok(json_object_object_get_ex(def, "type", &type) && json_object_is_type(type, json_type_string),
                       "property '%s' has a type", name);
                t = json_object_get_string(type);
                tap_ok(t && (!strcmp(t, "string") || !strcmp(t, "integer") || !strcmp(t, "boolean") ||
                     !strcmp(t, "array")),
                       "property '%s' has type string, integer, boolean or array", name);
                tap_ok(json_object_object_get_ex(def, "description", &desc) &&
                       json_object_is_type(desc, json_type_string) && json_object_get_string_len(desc) > 10,
                       "property '%s' has a description", name);
                tap_ok(json_object_object_get_ex(def, "changeable", &changeable) &&
                       json_object_is_type(changeable, json_type_boolean),
                       "property '%s' says whether it is changeable", name);
                if (t && !strcmp(t, "integer"))
                        /* The C fields are unsigned. */
                        tap_ok((json_object_object_get_ex(def, "minimum", &min) && json_object_get_int64(min) >= 0) ||
                               enum_all_positive(def),
                               "integer property '%s' has a minimum >= 0 or an enum of positive values", name);
                if (t && !strcmp(t, "boolean")) {
                        struct json_object *d;
                        /* An unset bool is false in the struct: a true
                         * default could not be told from an explicit false. */
                        tap_ok(!json_object_object_get_ex(def, "default", &d) || !json_object_get_boolean(d),
                               "boolean property '%s' has no default other than false", name);
                }
        }

        for (size_t i = 0; user_record_field_names[i]; i++)
                tap_ok(json_object_object_get_ex(props, user_record_field_names[i], NULL),
                       "field '%s' of the code is in the schema", user_record_field_names[i]);
        TAP_EQ_INT(json_object_object_length(props), table_length(), "as many schema properties as fields");
}

static void check_examples(const struct schema *file_schema, struct json_object *examples) {
        size_t n = json_object_array_length(examples);

        tap_ok(n >= 2, "the schema has at least two examples (%zu)", n);
        for (size_t i = 0; i < n; i++) {
                struct json_object *ex = json_object_array_get_idx(examples, i);
                struct user_record *r = NULL, *d = NULL;
                char *error = NULL;
                int k;

                k = schema_validate(file_schema, ex, NULL, "example", &error);
                tap_ok(k == 0, "example %zu validates against the schema file%s%s", i, error ? ": " : "", error ?: "");
                free(error);

                k = user_record_from_json(ex, "example", &r, &error);
                tap_ok(k == 0, "example %zu parses as a record%s%s", i, error ? ": " : "", error ?: "");
                free(error);
                if (k < 0)
                        continue;

                k = user_record_validate(r, &error);
                tap_ok(k == 0, "example %zu is a complete record%s%s", i, error ? ": " : "", error ?: "");
                free(error);

                /* Defaults change nothing in a complete record. */
                k = user_record_from_json(ex, "example", &d, NULL);
                tap_ok(k == 0 && user_record_apply_defaults(d) == 0 && user_record_equal(r, d),
                       "example %zu: applying defaults changes nothing", i);
                user_record_free(r);
                user_record_free(d);
        }
}

static void check_order(const struct schema *s) {
        bool same = schema_n_properties(s) == table_length();

        for (size_t i = 0; same && i < schema_n_properties(s); i++)
                same = strcmp(schema_property_name(schema_property_at(s, i)), user_record_field_names[i]) == 0;
        tap_ok(same, "schema properties and the code's fields are in the same order");
}

static void check_lookups(void) {
        struct json_object *def = NULL;
        const struct schema *s = NULL;

        tap_ok(schema_get(&s) == 0 && s, "the built-in schema loads");
        TAP_EQ_INT(schema_field_changeable("realName"), 1, "realName is changeable");
        TAP_EQ_INT(schema_field_changeable("uid"), 0, "uid is not changeable");
        TAP_EQ_INT(schema_field_changeable("lastChangeUSec"), 0, "lastChangeUSec is not changeable");
        TAP_EQ_INT(schema_field_changeable("bogus"), -ENOENT, "unknown field: -ENOENT");
        tap_ok(schema_field_default("storage", &def) == 0 && def &&
               strcmp(json_object_get_string(def), "luks") == 0, "storage defaults to luks");
        tap_ok(schema_field_default("homeDirectory", &def) == 0 && def &&
               strcmp(json_object_get_string(def), "/home/${userName}") == 0, "homeDirectory default is a template");
        tap_ok(schema_field_default("luksSectorSize", &def) == 0 && def && json_object_get_int64(def) == 4096,
               "luksSectorSize defaults to 4096");
        tap_ok(schema_field_default("uid", &def) == 0 && !def, "uid has no default");
        tap_ok(schema_property_required(schema_find_property(s, "userName")), "userName is required");
        tap_ok(!schema_property_required(schema_find_property(s, "uid")), "uid is not required");
}

/* The loader rejects broken schemas, naming the problem. */
static void check_broken(const char *text, const char *want) {
        struct schema *s = NULL;
        char *error = NULL;
        int k = schema_parse(text, strlen(text), "broken", &s, &error);

        tap_ok(k < 0 && !s && error && strstr(error, want), "broken schema rejected: want '%s', got '%s'",
               want, error ?: "(none)");
        free(error);
        schema_free(s);
}

int main(void) {
        struct json_object *root = NULL, *props = NULL, *examples = NULL, *req = NULL;
        struct schema *file_schema = NULL;
        char *text, *error = NULL;
        size_t len = 0;
        int k;

        text = tap_read_file(TEST_SOURCE_ROOT "/schema/user-record.schema.yaml", 1024 * 1024, &len);
        if (!tap_ok(text && len > 0, "read the schema file"))
                return tap_done();
        tap_ok(strlen(user_record_schema_yaml) == len && memcmp(user_record_schema_yaml, text, len) == 0,
               "the built-in schema equals schema/user-record.schema.yaml");

        k = yaml_to_json(text, len, "schema", &root, NULL, &error);
        tap_ok(k == 0, "the schema file is valid YAML%s%s", error ? ": " : "", error ?: "");
        free(error);
        error = NULL;
        if (k < 0)
                return tap_done();

        tap_ok(json_object_object_get_ex(root, "title", NULL), "the schema has a title");
        tap_ok(json_object_object_get_ex(root, "description", NULL), "the schema has a description");
        tap_ok(json_object_object_get_ex(root, "required", &req) && json_object_array_length(req) == 1 &&
               strcmp(json_object_get_string(json_object_array_get_idx(req, 0)), "userName") == 0,
               "required is [userName]");
        if (tap_ok(json_object_object_get_ex(root, "properties", &props), "the schema has properties"))
                check_properties(props);

        k = schema_parse(text, len, "schema", &file_schema, &error);
        tap_ok(k == 0, "the schema file loads as a schema%s%s", error ? ": " : "", error ?: "");
        free(error);
        if (k == 0) {
                check_order(file_schema);
                if (tap_ok(json_object_object_get_ex(root, "examples", &examples), "the schema has examples"))
                        check_examples(file_schema, examples);
        }

        check_lookups();

        check_broken("properties:\n  a:\n    type: string\n    description: x\n    changeable: true\n    colour: red\n",
                     "unknown schema keyword 'colour'");
        check_broken("properties:\n  a:\n    description: x\n    changeable: true\n", "property has no type");
        check_broken("properties:\n  a:\n    type: string\n    changeable: true\n", "property has no description");
        check_broken("properties:\n  a:\n    type: string\n    description: x\n", "no 'changeable'");
        check_broken("properties:\n  a:\n    type: float\n    description: x\n    changeable: true\n",
                     "schema type must be one of");
        check_broken("properties:\n  a:\n    type: string\n    description: x\n    changeable: true\n"
                     "    enum: [x, y]\n    default: z\n", "field 'a': default must be one of: x, y");
        check_broken("properties:\n  a:\n    type: integer\n    description: x\n    changeable: true\n"
                     "    minimum: 5\n    default: 4\n", "default must be at least 5");
        check_broken("properties:\n  a:\n    type: string\n    description: x\n    changeable: true\n"
                     "    pattern: 'a+'\n", "anchored");
        check_broken("properties:\n  a:\n    type: string\n    description: x\n    changeable: true\n"
                     "    pattern: '^a[$'\n", "does not compile");
        check_broken("properties:\n  a:\n    type: string\n    description: x\n    changeable: true\n"
                     "    minimum: 1\n", "need type integer");
        check_broken("required: [b]\nproperties:\n  a:\n    type: string\n    description: x\n    changeable: true\n",
                     "field 'b': required but not defined");
        check_broken("propertiez: {}\n", "broken:1: unknown schema keyword 'propertiez'");

        schema_free(file_schema);
        json_object_put(root);
        free(text);
        return tap_done();
}
