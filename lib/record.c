/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <yaml.h>

#include "file-util.h"
#include "json-util.h"
#include "log.h"
#include "macro.h"
#include "record-internal.h"
#include "record.h"
#include "schema.h"
#include "yaml-json.h"

/* The fields of struct user_record, in struct (and schema) order. This one
 * list drives parsing, emitting, defaults and comparison, and also gives
 * user_record_field_names[]; the schema test checks it against the schema. */
#define RECORD_FIELDS(X)                                                      \
        X("userName",                 FIELD_STRING, user_name)                \
        X("realName",                 FIELD_STRING, real_name)                \
        X("emailAddress",             FIELD_STRING, email_address)            \
        X("uid",                      FIELD_U32,    uid)                      \
        X("gid",                      FIELD_U32,    gid)                      \
        X("shell",                    FIELD_STRING, shell)                    \
        X("homeDirectory",            FIELD_STRING, home_directory)           \
        X("imagePath",                FIELD_STRING, image_path)               \
        X("storage",                  FIELD_STRING, storage)                  \
        X("diskSize",                 FIELD_U64,    disk_size)                \
        X("fileSystemType",           FIELD_STRING, file_system_type)         \
        X("luksCipher",               FIELD_STRING, luks_cipher)              \
        X("luksCipherMode",           FIELD_STRING, luks_cipher_mode)         \
        X("luksVolumeKeySize",        FIELD_U32,    luks_volume_key_size)     \
        X("luksSectorSize",           FIELD_U32,    luks_sector_size)         \
        X("luksPbkdfType",            FIELD_STRING, luks_pbkdf_type)          \
        X("luksPbkdfHashAlgorithm",   FIELD_STRING, luks_pbkdf_hash_algorithm) \
        X("luksPbkdfForceIterations", FIELD_U64,    luks_pbkdf_force_iterations) \
        X("luksPbkdfTimeCostUSec",    FIELD_U64,    luks_pbkdf_time_cost_usec) \
        X("luksPbkdfMemoryCost",      FIELD_U64,    luks_pbkdf_memory_cost)   \
        X("luksPbkdfParallelThreads", FIELD_U64,    luks_pbkdf_parallel_threads) \
        X("luksDiscard",              FIELD_BOOL,   luks_discard)             \
        X("locked",                   FIELD_BOOL,   locked)                   \
        X("rateLimitIntervalUSec",    FIELD_U64,    rate_limit_interval_usec) \
        X("rateLimitBurst",           FIELD_U32,    rate_limit_burst)         \
        X("lastChangeUSec",           FIELD_U64,    last_change_usec)         \
        X("lastPasswordChangeUSec",   FIELD_U64,    last_password_change_usec) \
        X("notBeforeUSec",            FIELD_U64,    not_before_usec)          \
        X("notAfterUSec",             FIELD_U64,    not_after_usec)           \
        X("keepUnlockedAfterLogout",  FIELD_BOOL,   keep_unlocked_after_logout) \
        X("sshAuthorizedKeys",        FIELD_STRV,   ssh_authorized_keys)      \
        X("pkcs11TokenUri",           FIELD_STRV,   pkcs11_token_uri)         \
        X("fido2HmacCredential",      FIELD_STRV,   fido2_hmac_credential)

#define FIELD_ENTRY(n, k, m) { n, k, offsetof(struct user_record, m) },
#define FIELD_NAME(n, k, m) n,

const struct field record_fields[] = { RECORD_FIELDS(FIELD_ENTRY) };
const size_t record_fields_n = ELEMENTSOF(record_fields);
const char *const user_record_field_names[] = { RECORD_FIELDS(FIELD_NAME) NULL };

static const struct field *field_find(const char *name) {
        for (size_t i = 0; i < record_fields_n; i++)
                if (streq(record_fields[i].name, name))
                        return &record_fields[i];
        return NULL;
}

static char **field_string(struct user_record *r, const struct field *f) {
        return (char **) ((uint8_t *) r + f->offset);
}

static char ***field_strv(struct user_record *r, const struct field *f) {
        return (char ***) ((uint8_t *) r + f->offset);
}

static bool *field_bool(struct user_record *r, const struct field *f) {
        return (bool *) ((uint8_t *) r + f->offset);
}

static int field_uint_set(struct user_record *r, const struct field *f, uint64_t v) {
        uint8_t *p = (uint8_t *) r + f->offset;

        if (f->kind == FIELD_U32) {
                if (v > UINT32_MAX)
                        return -ERANGE;
                *(uint32_t *) p = (uint32_t) v;
        } else
                *(uint64_t *) p = v;
        return 0;
}

static void field_unset(struct user_record *r, const struct field *f) {
        switch (f->kind) {
        case FIELD_STRING:
                free(*field_string(r, f));
                *field_string(r, f) = NULL;
                break;
        case FIELD_U32:
        case FIELD_U64:
                (void) field_uint_set(r, f, 0);
                break;
        case FIELD_BOOL:
                *field_bool(r, f) = false;
                break;
        case FIELD_STRV:
                strv_free(*field_strv(r, f));
                *field_strv(r, f) = NULL;
                break;
        }
}

void strv_free(char **l) {
        for (char **p = l; p && *p; p++)
                free(*p);
        free(l);
}

size_t strv_length(char *const *l) {
        size_t n = 0;

        while (l && l[n])
                n++;
        return n;
}

/* A JSON array of strings as a strv; an empty array gives NULL (unset). */
static int strv_from_json(struct json_object *v, char ***ret) {
        size_t n = json_object_array_length(v);
        char **l;

        *ret = NULL;
        if (n == 0)
                return 0;
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct json_object *item = json_object_array_get_idx(v, i);

                if (!json_object_is_type(item, json_type_string)) {
                        strv_free(l);
                        return -EBADMSG;
                }
                l[i] = strdup(json_object_get_string(item));
                if (!l[i]) {
                        strv_free(l);
                        return -ENOMEM;
                }
        }
        *ret = l;
        return 0;
}

static struct json_object *strv_to_json(char *const *l) {
        struct json_object *a = json_object_new_array();

        for (size_t i = 0; a && l && l[i]; i++)
                if (json_object_array_add(a, json_object_new_string(l[i])) < 0) {
                        json_object_put(a);
                        return NULL;
                }
        return a;
}

static bool strv_equal(char *const *a, char *const *b) {
        size_t n = strv_length(a);

        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

int record_set_error(char **error, int r, const char *fmt, ...) {
        va_list ap;
        int k;

        if (!error)
                return r;
        free(*error);
        va_start(ap, fmt);
        k = vasprintf(error, fmt, ap);
        va_end(ap);
        if (k < 0) {
                *error = NULL;
                return -ENOMEM;
        }
        return r;
}

struct user_record *user_record_new(void) {
        return calloc(1, sizeof(struct user_record));
}

void user_record_free(struct user_record *r) {
        if (!r)
                return;
        for (size_t i = 0; i < record_fields_n; i++)
                field_unset(r, &record_fields[i]);
        free(r);
}

/* Store an already validated JSON value in the struct. The checks here only
 * catch a schema that disagrees with this file's table. */
static int field_set_json(struct user_record *r, const struct field *f, struct json_object *v) {
        char *s;

        if (!v) {
                field_unset(r, f);
                return 0;
        }

        switch (f->kind) {
        case FIELD_STRING:
                if (!json_object_is_type(v, json_type_string))
                        return -EBADMSG;
                s = strdup(json_object_get_string(v));
                if (!s)
                        return -ENOMEM;
                free(*field_string(r, f));
                *field_string(r, f) = s;
                return 0;
        case FIELD_U32:
        case FIELD_U64:
                if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
                        return -EBADMSG;
                return field_uint_set(r, f, (uint64_t) json_object_get_int64(v)) < 0 ? -EBADMSG : 0;
        case FIELD_BOOL:
                if (!json_object_is_type(v, json_type_boolean))
                        return -EBADMSG;
                *field_bool(r, f) = json_object_get_boolean(v);
                return 0;
        case FIELD_STRV: {
                char **l;
                int k;

                if (!json_object_is_type(v, json_type_array))
                        return -EBADMSG;
                k = strv_from_json(v, &l);
                if (k < 0)
                        return k;
                strv_free(*field_strv(r, f));
                *field_strv(r, f) = l;
                return 0;
        }
        }
        return -EBADMSG;
}

int record_from_json_lines(struct json_object *o, struct json_object *lines, const char *origin,
                           struct user_record **ret, char **error) {
        _cleanup_record_ struct user_record *r = NULL;
        const struct schema *s;
        int k;

        if (error)
                *error = NULL;
        if (!ret)
                return -EINVAL;
        if (!origin)
                origin = "request";

        k = schema_get(&s);
        if (k < 0)
                return record_set_error(error, k, "%s: the user record schema is not available", origin);
        k = schema_validate(s, o, lines, origin, error);
        if (k < 0)
                return k;

        r = user_record_new();
        if (!r)
                return -ENOMEM;

        json_object_object_foreach(o, key, value) {
                const struct field *f = field_find(key);

                k = f ? field_set_json(r, f, value) : -EBADMSG;
                if (k == -EBADMSG)
                        return record_set_error(error, -EINVAL, "%s: field '%s': not supported by this version of homefs",
                                                origin, key);
                if (k < 0)
                        return k;
        }

        *ret = TAKE_PTR(r);
        return 0;
}

int user_record_from_json(struct json_object *o, const char *origin, struct user_record **ret, char **error) {
        return record_from_json_lines(o, NULL, origin, ret, error);
}

int user_record_set_field(struct user_record *r, const char *name, struct json_object *value,
                          const char *origin, char **error) {
        const struct schema *s;
        const struct field *f;
        int k;

        if (error)
                *error = NULL;
        if (!r || !name)
                return -EINVAL;
        if (!origin)
                origin = "request";

        f = field_find(name);
        if (!f)
                return record_set_error(error, -ENOENT, "%s: field '%s': unknown field", origin, name);

        if (value) {
                k = schema_get(&s);
                if (k < 0)
                        return record_set_error(error, k, "%s: the user record schema is not available", origin);
                k = schema_validate_property(s, name, value, origin, 0, error);
                if (k < 0)
                        return k;
        } else if (streq(name, "userName"))
                return record_set_error(error, -EINVAL, "%s: field 'userName': is required", origin);

        k = field_set_json(r, f, value);
        if (k == -EBADMSG)
                return record_set_error(error, -EINVAL, "%s: field '%s': not supported by this version of homefs",
                                        origin, name);
        return k;
}

struct json_object *user_record_to_json(const struct user_record *r) {
        _cleanup_json_ struct json_object *o = NULL;

        if (!r)
                return NULL;
        o = json_object_new_object();
        if (!o)
                return NULL;

        for (size_t i = 0; i < record_fields_n; i++) {
                const struct field *f = &record_fields[i];
                struct json_object *v = NULL;
                uint64_t n;

                if (!field_is_set(r, f))
                        continue;
                switch (f->kind) {
                case FIELD_STRING:
                        v = json_object_new_string(field_string_get(r, f));
                        break;
                case FIELD_U32:
                case FIELD_U64:
                        n = field_uint_get(r, f);
                        /* Out of int64 range cannot be valid; keep the value so
                         * that validation reports it. */
                        v = n <= INT64_MAX ? json_object_new_int64((int64_t) n) : json_object_new_uint64(n);
                        break;
                case FIELD_BOOL:
                        v = json_object_new_boolean(true);
                        break;
                case FIELD_STRV:
                        v = strv_to_json(field_strv_get(r, f));
                        break;
                }
                if (!v || json_object_object_add(o, f->name, v) < 0) {
                        json_object_put(v);
                        return NULL;
                }
        }
        return TAKE_PTR(o);
}

/* Replace each "${field}" in t by that (string) field of r. */
static int expand_template(const struct user_record *r, const char *t, char **ret) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t size = 0;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;

        for (;;) {
                const char *start = strstr(t, "${"), *end, *value;
                const struct field *field;
                _cleanup_free_ char *name = NULL;

                if (!start) {
                        fputs(t, f);
                        break;
                }
                fwrite(t, 1, (size_t) (start - t), f);
                end = strchr(start + 2, '}');
                if (!end)
                        return -EINVAL;
                name = strndup(start + 2, (size_t) (end - start - 2));
                if (!name)
                        return -ENOMEM;
                field = field_find(name);
                if (!field || field->kind != FIELD_STRING)
                        return -EINVAL;
                value = field_string_get(r, field);
                if (!value)
                        return -EINVAL;
                fputs(value, f);
                t = end + 1;
        }

        if (fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int field_apply_default(struct user_record *r, const struct field *f, struct json_object *def) {
        _cleanup_free_ char *s = NULL;
        int k;

        switch (f->kind) {
        case FIELD_STRING:
                if (!json_object_is_type(def, json_type_string))
                        return -EBADMSG;
                k = expand_template(r, json_object_get_string(def), &s);
                if (k < 0)
                        return k;
                *field_string(r, f) = TAKE_PTR(s);
                return 0;
        case FIELD_U32:
        case FIELD_U64:
                if (!json_object_is_type(def, json_type_int) || json_object_get_int64(def) < 0)
                        return -EBADMSG;
                return field_uint_set(r, f, (uint64_t) json_object_get_int64(def)) < 0 ? -EBADMSG : 0;
        case FIELD_BOOL:
                /* Unset is false, and the schema test makes sure every
                 * boolean default is false: nothing to do. */
                return 0;
        case FIELD_STRV:
                /* Lists have no defaults. */
                return -EBADMSG;
        }
        return -EBADMSG;
}

int user_record_apply_defaults(struct user_record *r) {
        const struct schema *s;
        int k;

        if (!r || !r->user_name)
                return -EINVAL;
        k = schema_get(&s);
        if (k < 0)
                return k;

        for (size_t i = 0; i < record_fields_n; i++) {
                const struct schema_property *p = schema_find_property(s, record_fields[i].name);
                struct json_object *def = p ? schema_property_default(p) : NULL;

                if (!def || field_is_set(r, &record_fields[i]))
                        continue;
                k = field_apply_default(r, &record_fields[i], def);
                if (k < 0)
                        return k;
        }

        /* A per-user group: gid follows uid (once the agent has allocated it). */
        if (r->gid == 0)
                r->gid = r->uid;
        return 0;
}

/* Is path equal to prefix or below it? Both are validated absolute paths. */
static bool path_is_below(const char *path, const char *prefix) {
        size_t n = strlen(prefix);

        return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* What the schema cannot say: a complete record has every field that has a
 * default (user_record_apply_defaults() fills them) plus uid and gid, and its
 * image is not inside its home. */
static int record_check_complete(const struct schema *s, const struct user_record *r,
                                 const char *origin, char **error) {
        for (size_t i = 0; i < record_fields_n; i++) {
                const struct field *f = &record_fields[i];
                const struct schema_property *p = schema_find_property(s, f->name);
                bool needed = streq(f->name, "uid") || streq(f->name, "gid") ||
                              (p && schema_property_default(p));

                if (needed && f->kind != FIELD_BOOL && !field_is_set(r, f))
                        return record_set_error(error, -EINVAL, "%s: field '%s': is required in a complete record",
                                                origin, f->name);
        }

        if (path_is_below(r->image_path, r->home_directory) || path_is_below(r->home_directory, r->image_path))
                return record_set_error(error, -EINVAL,
                                        "%s: field 'imagePath': must not be inside homeDirectory or contain it", origin);
        return 0;
}

int user_record_validate(const struct user_record *r, char **error) {
        _cleanup_json_ struct json_object *o = NULL;
        _cleanup_free_ char *origin = NULL;
        const struct schema *s;
        int k;

        if (error)
                *error = NULL;
        if (!r)
                return -EINVAL;

        k = schema_get(&s);
        if (k < 0)
                return record_set_error(error, k, "the user record schema is not available");

        if (r->user_name && user_name_is_valid(r->user_name))
                k = asprintf(&origin, "record '%s'", r->user_name);
        else
                k = asprintf(&origin, "record");
        if (k < 0)
                return -ENOMEM;

        o = user_record_to_json(r);
        if (!o)
                return -ENOMEM;
        k = schema_validate(s, o, NULL, origin, error);
        if (k < 0)
                return k;
        return record_check_complete(s, r, origin, error);
}

bool user_record_equal(const struct user_record *a, const struct user_record *b) {
        if (!a || !b)
                return a == b;

        for (size_t i = 0; i < record_fields_n; i++) {
                const struct field *f = &record_fields[i];
                const char *x, *y;

                switch (f->kind) {
                case FIELD_STRING:
                        x = field_string_get(a, f);
                        y = field_string_get(b, f);
                        if ((!x || !y) ? x != y : !streq(x, y))
                                return false;
                        break;
                case FIELD_U32:
                case FIELD_U64:
                        if (field_uint_get(a, f) != field_uint_get(b, f))
                                return false;
                        break;
                case FIELD_BOOL:
                        if (field_bool_get(a, f) != field_bool_get(b, f))
                                return false;
                        break;
                case FIELD_STRV:
                        if (!strv_equal(field_strv_get(a, f), field_strv_get(b, f)))
                                return false;
                        break;
                }
        }
        return true;
}

bool user_name_is_valid(const char *s) {
        _cleanup_json_ struct json_object *v = NULL;
        const struct schema *schema;

        if (!s || strlen(s) > 255)
                return false;
        /* The name becomes a file name: whatever the schema says, never a
         * '/', never "." or "..", never a hidden file. */
        if (strchr(s, '/') || s[0] == '.' || s[0] == '\0')
                return false;

        if (schema_get(&schema) < 0)
                return false;
        v = json_object_new_string(s);
        if (!v)
                return false;
        return schema_validate_property(schema, "userName", v, NULL, 0, NULL) == 0;
}

int user_record_check_login(const struct user_record *r, uint64_t now_usec) {
        if (r->locked)
                return -EKEYREVOKED;
        if (r->not_before_usec && now_usec < r->not_before_usec)
                return -ETIME;
        if (r->not_after_usec && now_usec > r->not_after_usec)
                return -EKEYEXPIRED;
        return 0;
}
