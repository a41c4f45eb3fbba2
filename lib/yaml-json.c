/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <yaml.h>

#include "json-util.h"
#include "macro.h"
#include "yaml-json.h"

/* A recursive descent over libyaml's event stream. Each node function is
 * handed the node's first event (already parsed) and consumes the events up
 * to and including the node's last one. */

struct yj {
        yaml_parser_t parser;
        const char *text;
        size_t len;
        const char *origin;
        char **error;
};

static void yaml_event_deletep(yaml_event_t *e) {
        yaml_event_delete(e);
}
#define _cleanup_event_ _cleanup_(yaml_event_deletep)

static int yj_error(struct yj *p, const yaml_mark_t *mark, int r, const char *fmt, ...) _printf_(4, 5);
static int yj_error(struct yj *p, const yaml_mark_t *mark, int r, const char *fmt, ...) {
        _cleanup_free_ char *problem = NULL;
        va_list ap;
        int k;

        if (!p->error)
                return r;
        va_start(ap, fmt);
        k = vasprintf(&problem, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;

        free(*p->error);
        *p->error = NULL;
        if (mark)
                k = asprintf(p->error, "%s:%zu: %s", p->origin, mark->line + 1, problem);
        else
                k = asprintf(p->error, "%s: %s", p->origin, problem);
        if (k < 0) {
                *p->error = NULL;
                return -ENOMEM;
        }
        return r;
}

/* 0-based line of a byte offset. */
static size_t line_of_offset(const char *text, size_t len, size_t offset) {
        size_t line = 0;

        for (size_t i = 0; i < offset && i < len; i++)
                if (text[i] == '\n')
                        line++;
        return line;
}

static int yj_next(struct yj *p, yaml_event_t *ev) {
        if (yaml_parser_parse(&p->parser, ev))
                return 0;

        memset(ev, 0, sizeof(*ev));
        if (p->parser.error == YAML_MEMORY_ERROR)
                return -ENOMEM;
        if (p->parser.error == YAML_READER_ERROR) {
                /* The reader (encoding errors) reports a byte offset, not a mark. */
                yaml_mark_t mark = { .line = line_of_offset(p->text, p->len, p->parser.problem_offset) };

                return yj_error(p, &mark, -EINVAL, "invalid YAML: %s", p->parser.problem ?: "encoding error");
        }
        if (p->parser.context)
                return yj_error(p, &p->parser.problem_mark, -EINVAL, "invalid YAML: %s %s",
                                p->parser.problem ?: "syntax error", p->parser.context);
        return yj_error(p, &p->parser.problem_mark, -EINVAL, "invalid YAML: %s",
                        p->parser.problem ?: "syntax error");
}

/* Anchors and aliases make a tree into a graph (and allow "billion laughs");
 * tags select types we do not want. Records need neither. */
static int yj_check_plain_node(struct yj *p, const yaml_event_t *ev) {
        const yaml_char_t *anchor = NULL, *tag = NULL;

        switch (ev->type) {
        case YAML_ALIAS_EVENT:
                return yj_error(p, &ev->start_mark, -EINVAL, "YAML aliases are not allowed");
        case YAML_SCALAR_EVENT:
                anchor = ev->data.scalar.anchor;
                tag = ev->data.scalar.tag;
                break;
        case YAML_SEQUENCE_START_EVENT:
                anchor = ev->data.sequence_start.anchor;
                tag = ev->data.sequence_start.tag;
                break;
        case YAML_MAPPING_START_EVENT:
                anchor = ev->data.mapping_start.anchor;
                tag = ev->data.mapping_start.tag;
                break;
        default:
                return yj_error(p, &ev->start_mark, -EINVAL, "unexpected YAML event");
        }
        if (anchor)
                return yj_error(p, &ev->start_mark, -EINVAL, "YAML anchors are not allowed");
        if (tag)
                return yj_error(p, &ev->start_mark, -EINVAL, "YAML tags are not allowed");
        return 0;
}

/* -?(0|[1-9][0-9]*): no '+', no leading zeros (YAML 1.1 reads those as octal). */
static bool looks_like_integer(const char *s) {
        if (*s == '-')
                s++;
        if (s[0] == '0')
                return s[1] == '\0';
        if (*s < '1' || *s > '9')
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

static bool plain_is_null(const char *v) {
        return v[0] == '\0' || streq(v, "null") || streq(v, "~");
}

static int yj_scalar(struct yj *p, const yaml_event_t *ev, struct json_object **ret) {
        const char *v = (const char *) ev->data.scalar.value;
        size_t len = ev->data.scalar.length;
        struct json_object *o;

        if (strlen(v) != len)
                return yj_error(p, &ev->start_mark, -EINVAL, "strings must not contain NUL bytes");

        if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                o = json_object_new_string_len(v, (int) len);
        else if (plain_is_null(v)) {
                *ret = NULL; /* json-c represents null as a NULL object */
                return 0;
        } else if (streq(v, "true") || streq(v, "false"))
                o = json_object_new_boolean(streq(v, "true"));
        else if (looks_like_integer(v)) {
                long long n;

                errno = 0;
                n = strtoll(v, NULL, 10);
                if (errno == ERANGE)
                        return yj_error(p, &ev->start_mark, -EINVAL, "integer out of range: %s", v);
                o = json_object_new_int64(n);
        } else
                o = json_object_new_string_len(v, (int) len);

        if (!o)
                return -ENOMEM;
        *ret = o;
        return 0;
}

static int yj_node(struct yj *p, const yaml_event_t *first, unsigned depth,
                   struct json_object **ret, struct json_object *lines);

static int yj_mapping(struct yj *p, unsigned depth, struct json_object **ret, struct json_object *lines) {
        _cleanup_json_ struct json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;

        for (;;) {
                _cleanup_event_ yaml_event_t key = {}, value = {};
                struct json_object *child = NULL;
                const char *k;

                r = yj_next(p, &key);
                if (r < 0)
                        return r;
                if (key.type == YAML_MAPPING_END_EVENT)
                        break;
                r = yj_check_plain_node(p, &key);
                if (r < 0)
                        return r;
                if (key.type != YAML_SCALAR_EVENT)
                        return yj_error(p, &key.start_mark, -EINVAL, "mapping keys must be plain strings");
                k = (const char *) key.data.scalar.value;
                if (strlen(k) != key.data.scalar.length)
                        return yj_error(p, &key.start_mark, -EINVAL, "keys must not contain NUL bytes");
                if (json_object_object_get_ex(o, k, NULL))
                        return yj_error(p, &key.start_mark, -EINVAL, "duplicate key '%s'", k);

                r = yj_next(p, &value);
                if (r < 0)
                        return r;
                r = yj_node(p, &value, depth + 1, &child, NULL);
                if (r < 0)
                        return r;
                if (json_object_object_add(o, k, child) < 0) {
                        json_object_put(child);
                        return -ENOMEM;
                }
                if (lines) {
                        struct json_object *line = json_object_new_int64((int64_t) key.start_mark.line + 1);

                        if (!line || json_object_object_add(lines, k, line) < 0) {
                                json_object_put(line);
                                return -ENOMEM;
                        }
                }
        }

        *ret = TAKE_PTR(o);
        return 0;
}

static int yj_sequence(struct yj *p, unsigned depth, struct json_object **ret) {
        _cleanup_json_ struct json_object *a = json_object_new_array();
        int r;

        if (!a)
                return -ENOMEM;

        for (;;) {
                _cleanup_event_ yaml_event_t ev = {};
                struct json_object *child = NULL;

                r = yj_next(p, &ev);
                if (r < 0)
                        return r;
                if (ev.type == YAML_SEQUENCE_END_EVENT)
                        break;
                r = yj_node(p, &ev, depth + 1, &child, NULL);
                if (r < 0)
                        return r;
                if (json_object_array_add(a, child) < 0) {
                        json_object_put(child);
                        return -ENOMEM;
                }
        }

        *ret = TAKE_PTR(a);
        return 0;
}

static int yj_node(struct yj *p, const yaml_event_t *first, unsigned depth,
                   struct json_object **ret, struct json_object *lines) {
        int r;

        r = yj_check_plain_node(p, first);
        if (r < 0)
                return r;

        if (first->type != YAML_SCALAR_EVENT && depth >= YAML_JSON_DEPTH_MAX)
                return yj_error(p, &first->start_mark, -EINVAL, "nested deeper than %u levels",
                                YAML_JSON_DEPTH_MAX);

        switch (first->type) {
        case YAML_SCALAR_EVENT:
                return yj_scalar(p, first, ret);
        case YAML_SEQUENCE_START_EVENT:
                return yj_sequence(p, depth, ret);
        case YAML_MAPPING_START_EVENT:
                return yj_mapping(p, depth, ret, lines);
        default:
                return yj_error(p, &first->start_mark, -EINVAL, "unexpected YAML event");
        }
}

/* Expect an event of the given type; anything else is reported with what. */
static int yj_expect(struct yj *p, yaml_event_type_t type, const char *what) {
        _cleanup_event_ yaml_event_t ev = {};
        int r;

        r = yj_next(p, &ev);
        if (r < 0)
                return r;
        if (ev.type != type)
                return yj_error(p, &ev.start_mark, -EINVAL, "%s", what);
        return 0;
}

static int yj_document(struct yj *p, struct json_object **ret, struct json_object *lines) {
        _cleanup_event_ yaml_event_t start = {}, root = {};
        _cleanup_json_ struct json_object *o = NULL;
        int r;

        r = yj_expect(p, YAML_STREAM_START_EVENT, "invalid YAML stream");
        if (r < 0)
                return r;
        r = yj_next(p, &start);
        if (r < 0)
                return r;
        if (start.type == YAML_STREAM_END_EVENT)
                return yj_error(p, NULL, -EINVAL, "empty document");
        if (start.type != YAML_DOCUMENT_START_EVENT)
                return yj_error(p, &start.start_mark, -EINVAL, "invalid YAML stream");
        if (start.data.document_start.tag_directives.start != start.data.document_start.tag_directives.end)
                return yj_error(p, &start.start_mark, -EINVAL, "YAML %%TAG directives are not allowed");

        r = yj_next(p, &root);
        if (r < 0)
                return r;
        r = yj_node(p, &root, 0, &o, lines);
        if (r < 0)
                return r;

        r = yj_expect(p, YAML_DOCUMENT_END_EVENT, "invalid YAML document end");
        if (r < 0)
                return r;
        r = yj_expect(p, YAML_STREAM_END_EVENT, "only one YAML document is allowed");
        if (r < 0)
                return r;

        *ret = TAKE_PTR(o);
        return 0;
}

int yaml_to_json(const char *text, size_t len, const char *origin,
                 struct json_object **ret, struct json_object **ret_lines, char **error) {
        _cleanup_json_ struct json_object *o = NULL, *lines = NULL;
        struct yj p = { .text = text, .len = len, .origin = origin ?: "input", .error = error };
        int r;

        if (error)
                *error = NULL;
        if (!text || !ret)
                return -EINVAL;
        if (len > YAML_JSON_SIZE_MAX) {
                (void) yj_error(&p, NULL, -E2BIG, "larger than %u bytes", YAML_JSON_SIZE_MAX);
                return -E2BIG;
        }

        lines = json_object_new_object();
        if (!lines)
                return -ENOMEM;
        if (!yaml_parser_initialize(&p.parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&p.parser, (const unsigned char *) text, len);
        yaml_parser_set_encoding(&p.parser, YAML_UTF8_ENCODING);

        r = yj_document(&p, &o, lines);
        yaml_parser_delete(&p.parser);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(o);
        if (ret_lines)
                *ret_lines = TAKE_PTR(lines);
        return 0;
}

unsigned yaml_json_line(struct json_object *lines, const char *key) {
        struct json_object *v;
        int64_t n;

        if (!lines || !key || !json_object_object_get_ex(lines, key, &v))
                return 0;
        n = json_object_get_int64(v);
        if (n <= 0 || n > UINT32_MAX)
                return 0;
        return (unsigned) n;
}
