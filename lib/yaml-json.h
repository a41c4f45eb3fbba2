/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stddef.h>

/* Convert one YAML document into a json-c object tree, for records and for the
 * schema. Only the plain data subset of YAML is accepted:
 *
 *   - plain scalars: "true"/"false" become booleans, decimal integers
 *     (-?(0|[1-9][0-9]*)) become integers (out of int64 range is an error),
 *     "null", "~" and the empty scalar become null, anything else a string;
 *   - quoted and block scalars are always strings;
 *   - mappings become objects (keys are scalars, duplicates are an error),
 *     sequences become arrays.
 *
 * Anchors, aliases, tags, more than one document, strings containing NUL,
 * nesting deeper than YAML_JSON_DEPTH_MAX and input over YAML_JSON_SIZE_MAX
 * are rejected. */

#define YAML_JSON_DEPTH_MAX 16U
#define YAML_JSON_SIZE_MAX (1024U * 1024U)

/* On success returns 0, *ret (the document's root node) and, if ret_lines is
 * non-NULL, an object mapping each key of a top-level mapping to its 1-based
 * line number (empty if the root is not a mapping). On failure returns -EINVAL
 * (-E2BIG if over the size limit, -ENOMEM) and, when error is non-NULL, a
 * malloc'ed message "ORIGIN:LINE: PROBLEM". */
int yaml_to_json(const char *text, size_t len, const char *origin,
                 struct json_object **ret, struct json_object **ret_lines, char **error);

/* The line of a top-level key from the table above; 0 when unknown. */
unsigned yaml_json_line(struct json_object *lines, const char *key);
