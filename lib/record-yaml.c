/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* User records as YAML: the form they have on disk. Reading goes through
 * yaml_to_json() and the schema; writing emits the fields in table order. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "json-util.h"
#include "macro.h"
#include "record-internal.h"
#include "record.h"
#include "yaml-json.h"

int user_record_from_yaml(const char *text, size_t len, const char *origin,
                          struct user_record **ret, char **error) {
        _cleanup_json_ struct json_object *o = NULL, *lines = NULL;
        int r;

        if (error)
                *error = NULL;
        if (!text || !ret)
                return -EINVAL;
        if (!origin)
                origin = "request";

        r = yaml_to_json(text, len, origin, &o, &lines, error);
        if (r == -E2BIG)
                return -EINVAL;
        if (r < 0)
                return r;
        return record_from_json_lines(o, lines, origin, ret, error);
}

/* May s be written as a plain YAML scalar and read back as the same string?
 * Deliberately conservative: anything else is double-quoted. Words that some
 * YAML reader could take for a boolean or null are quoted, as are numbers
 * (they cannot start with a letter, '_' or '/'). */
static bool string_is_plain_safe(const char *s) {
        static const char *const reserved[] = {
                "true", "false", "yes", "no", "on", "off", "y", "n", "null",
        };
        size_t len = strlen(s);

        if (len == 0 || s[len - 1] == ' ')
                return false;
        if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_' || s[0] == '/'))
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      strchr("_./@+- ", *p)))
                        return false;
        for (size_t i = 0; i < ELEMENTSOF(reserved); i++)
                if (strcasecmp(s, reserved[i]) == 0)
                        return false;
        return true;
}

static int emit_scalar(yaml_emitter_t *e, const char *value, bool plain) {
        yaml_event_t ev;

        yaml_scalar_style_t style = plain ? YAML_PLAIN_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE;

        if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *) value, (int) strlen(value),
                                          plain, 1, style))
                return -ENOMEM;
        return yaml_emitter_emit(e, &ev) ? 0 : -EINVAL;
}

static int emit_strv(yaml_emitter_t *e, char *const *l) {
        yaml_event_t ev;
        int k;

        if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
            !yaml_emitter_emit(e, &ev))
                return -EINVAL;
        for (size_t i = 0; l && l[i]; i++) {
                if (strlen(l[i]) > INT_MAX)
                        return -EINVAL;
                k = emit_scalar(e, l[i], string_is_plain_safe(l[i]));
                if (k < 0)
                        return k;
        }
        if (!yaml_sequence_end_event_initialize(&ev) || !yaml_emitter_emit(e, &ev))
                return -EINVAL;
        return 0;
}

static int emit_field(yaml_emitter_t *e, const struct user_record *r, const struct field *f) {
        char buf[32];
        const char *s;
        int k;

        k = emit_scalar(e, f->name, true);
        if (k < 0)
                return k;

        switch (f->kind) {
        case FIELD_STRING:
                s = field_string_get(r, f);
                if (strlen(s) > INT_MAX)
                        return -EINVAL;
                return emit_scalar(e, s, string_is_plain_safe(s));
        case FIELD_U32:
        case FIELD_U64:
                (void) snprintf(buf, sizeof(buf), "%" PRIu64, field_uint_get(r, f));
                return emit_scalar(e, buf, true);
        case FIELD_BOOL:
                return emit_scalar(e, field_bool_get(r, f) ? "true" : "false", true);
        case FIELD_STRV:
                return emit_strv(e, field_strv_get(r, f));
        }
        return -EINVAL;
}

static int yaml_write_to_file(void *data, unsigned char *buffer, size_t size) {
        return fwrite(buffer, 1, size, data) == size;
}

static int emit_record(yaml_emitter_t *e, const struct user_record *r) {
        yaml_event_t ev;
        int k;

        if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || !yaml_emitter_emit(e, &ev))
                return -EINVAL;
        if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) || !yaml_emitter_emit(e, &ev))
                return -EINVAL;
        if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
            !yaml_emitter_emit(e, &ev))
                return -EINVAL;

        for (size_t i = 0; i < record_fields_n; i++) {
                if (!field_is_set(r, &record_fields[i]))
                        continue;
                k = emit_field(e, r, &record_fields[i]);
                if (k < 0)
                        return k;
        }

        if (!yaml_mapping_end_event_initialize(&ev) || !yaml_emitter_emit(e, &ev))
                return -EINVAL;
        if (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(e, &ev))
                return -EINVAL;
        if (!yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(e, &ev))
                return -EINVAL;
        return yaml_emitter_flush(e) ? 0 : -EIO;
}

int user_record_to_yaml(const struct user_record *r, char **ret) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        yaml_emitter_t e;
        size_t size = 0;
        int k;

        if (!r || !ret)
                return -EINVAL;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        if (!yaml_emitter_initialize(&e))
                return -ENOMEM;
        yaml_emitter_set_output(&e, yaml_write_to_file, f);
        yaml_emitter_set_unicode(&e, 1);
        yaml_emitter_set_width(&e, -1); /* never fold long strings */

        /* The emitter fails (-EINVAL) on strings that are not valid UTF-8. */
        k = emit_record(&e, r);
        yaml_emitter_delete(&e);
        if (k < 0)
                return k;
        if (fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;

        *ret = TAKE_PTR(buf);
        return 0;
}
