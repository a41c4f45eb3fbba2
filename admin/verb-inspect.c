/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "escape.h"
#include "homefsctl.h"
#include "log.h"
#include "size.h"

/* How a record field is shown. */
enum kind { TEXT, SIZE, BOOL, USEC, TIME };

static const struct field {
        const char *key;
        const char *label;
        enum kind kind;
} fields[] = {
        { "realName", "Real name", TEXT },
        { "emailAddress", "Email", TEXT },
        { "locked", "Account locked", BOOL },
        { "uid", "UID", TEXT },
        { "gid", "GID", TEXT },
        { "shell", "Shell", TEXT },
        { "homeDirectory", "Directory", TEXT },
        { "imagePath", "Image", TEXT },
        { "storage", "Storage", TEXT },
        { "fileSystemType", "File system", TEXT },
        { "luksCipher", "LUKS cipher", TEXT },
        { "luksCipherMode", "Cipher mode", TEXT },
        { "luksVolumeKeySize", "Volume key", TEXT },
        { "luksSectorSize", "Sector size", TEXT },
        { "luksDiscard", "Discard", BOOL },
        { "luksPbkdfType", "PBKDF", TEXT },
        { "luksPbkdfHashAlgorithm", "PBKDF hash", TEXT },
        { "luksPbkdfForceIterations", "PBKDF iterations", TEXT },
        { "luksPbkdfTimeCostUSec", "PBKDF time cost", USEC },
        { "luksPbkdfMemoryCost", "PBKDF memory", SIZE },
        { "luksPbkdfParallelThreads", "PBKDF threads", TEXT },
        { "lastChangeUSec", "Last change", TIME },
        { "lastPasswordChangeUSec", "Password changed", TIME },
};

#define LABEL_WIDTH 17

/* Labels and values may come from users (a real name, a process name, a
 * field name): both escaped. */
static void print_line(const char *label, const char *value) {
        _cleanup_free_ char *l = escape_dup(label ?: ""), *v = escape_dup(value ?: "");

        printf("%*s: %s\n", LABEL_WIDTH, l ?: "?", v ?: "?");
}

static const char *format_value(struct json_object *v, enum kind kind, char *buf, size_t size) {
        uint64_t u = (uint64_t) json_object_get_int64(v);
        time_t t;
        struct tm tm;

        if (kind != TEXT && !json_object_is_type(v, kind == BOOL ? json_type_boolean : json_type_int))
                kind = TEXT; /* not what we expected: show it as it is */

        switch (kind) {
        case SIZE:
                return format_size(buf, size, u);
        case BOOL:
                return json_object_get_boolean(v) ? "yes" : "no";
        case USEC:
                if (u % 1000000 == 0)
                        snprintf(buf, size, "%" PRIu64 " s", u / 1000000);
                else if (u % 1000 == 0)
                        snprintf(buf, size, "%" PRIu64 " ms", u / 1000);
                else
                        snprintf(buf, size, "%" PRIu64 " us", u);
                return buf;
        case TIME:
                t = (time_t) (u / 1000000);
                if (localtime_r(&t, &tm) && strftime(buf, size, "%a %Y-%m-%d %H:%M:%S %Z", &tm) > 0)
                        return buf;
                break;
        case TEXT:
                break;
        }
        return json_object_get_string(v);
}

static bool field_is_known(const char *key) {
        if (streq(key, "userName") || streq(key, "diskSize"))
                return true;
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (streq(key, fields[i].key))
                        return true;
        return false;
}

static void print_record(struct json_object *record) {
        char buf[128];
        struct json_object *v;

        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (json_object_object_get_ex(record, fields[i].key, &v) && !json_object_is_type(v, json_type_null))
                        print_line(fields[i].label, format_value(v, fields[i].kind, buf, sizeof(buf)));

        /* Fields this homefsctl does not know yet, under their own names. */
        json_object_object_foreach(record, key, val)
                if (!field_is_known(key))
                        print_line(key, json_object_get_string(val));
}

static void print_size(struct json_object *o, const char *key, const char *label, const char *suffix) {
        unsigned long long u;
        char buf[64], line[96];

        if (proto_get_u64(o, key, &u) < 0)
                return;
        snprintf(line, sizeof(line), "%s%s", format_size(buf, sizeof(buf), u), suffix);
        print_line(label, line);
}

/* "Credentials: 0 password", then one line for each further keyslot; the
 * PKCS#11 URI, FIDO2 relying party or SSH public key tells tokens apart. */
static void print_credentials(struct json_object *reply) {
        struct json_object *list, *c, *v;
        char line[1024], escaped[4 * sizeof(line)];

        if (!json_object_object_get_ex(reply, "credentials", &list) || !json_object_is_type(list, json_type_array))
                return;
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                const char *type = "?", *detail = NULL;

                c = json_object_array_get_idx(list, i);
                if (json_object_object_get_ex(c, "type", &v))
                        type = json_object_get_string(v);
                if (json_object_object_get_ex(c, "pkcs11-uri", &v) || json_object_object_get_ex(c, "fido2-rp", &v) ||
                    json_object_object_get_ex(c, "ssh-public-key", &v))
                        detail = json_object_get_string(v);
                snprintf(line, sizeof(line), "%d %s%s%s",
                         json_object_object_get_ex(c, "keyslot", &v) ? json_object_get_int(v) : -1,
                         type, detail ? " " : "", detail ? detail : "");
                if (i == 0)
                        print_line("Credentials", line);
                else
                        printf("%*s  %s\n", LABEL_WIDTH, "", escape_to(escaped, sizeof(escaped), line));
        }
}

/* An array of objects as "A B, A B, ..." (or "none"). */
static void print_list(struct json_object *reply, const char *key, const char *label, const char *a, const char *b) {
        struct json_object *arr, *x, *y;
        char line[1024] = "";
        size_t n = 0;

        if (!json_object_object_get_ex(reply, key, &arr) || !json_object_is_type(arr, json_type_array))
                return;
        for (size_t i = 0; i < json_object_array_length(arr) && n < sizeof(line); i++) {
                struct json_object *e = json_object_array_get_idx(arr, i);

                if (!json_object_object_get_ex(e, a, &x) || !json_object_object_get_ex(e, b, &y))
                        continue;
                n += (size_t) snprintf(line + n, sizeof(line) - n, "%s%s %s", n ? ", " : "",
                                       json_object_get_string(x), json_object_get_string(y));
        }
        print_line(label, n ? line : "none");
}

static void print_inspect(const char *user, struct json_object *reply) {
        struct json_object *record = NULL, *v;

        if (!json_object_object_get_ex(reply, "record", &record) || !json_object_is_type(record, json_type_object))
                record = NULL;
        if (record && json_object_object_get_ex(record, "userName", &v))
                user = json_object_get_string(v);
        print_line("User name", user);
        if (json_object_object_get_ex(reply, "state", &v))
                print_line("State", json_object_get_string(v));
        if (record)
                print_record(record);
        if (json_object_object_get_ex(reply, "diskSize", NULL))
                print_size(reply, "diskSize", "Disk size", "");
        else if (record)
                print_size(record, "diskSize", "Disk size", "");
        print_size(reply, "imageAllocated", "Allocated", " on the host");
        print_size(reply, "hostFree", "Host free", "");
        print_size(reply, "hostUnpromised", "Host unpromised", " (free space no home may still claim)");
        print_size(reply, "fileSystemSize", "FS size", "");
        print_size(reply, "fileSystemUsed", "FS used", "");
        if (json_object_object_get_ex(reply, "activation", &v))
                print_line("Activation", json_object_get_string(v));
        print_credentials(reply);
        print_list(reply, "holders", "Held open by", "pid", "command");
}

static int inspect_one(const struct options *o, const char *user) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *reply = NULL, *params, *record;
        int r, status = EXIT_OK;

        params = user_params(user);
        if (!params)
                return EXIT_FAIL;
        r = agent_run(NULL, AGENT_INTERFACE ".Inspect", params, false, &reply, &e);
        if (r < 0)
                return report_agent_error(&e, user);

        if (o->export) {
                record = NULL;
                json_object_object_get_ex(reply, "record", &record);
                print_json(&(struct options) { .json = o->json == JSON_SHORT ? JSON_SHORT : JSON_PRETTY }, record);
        } else if (o->json != JSON_OFF) {
                /* homectl's shape: the record, runtime state under "status". */
                record = inspect_record_json(reply);
                if (record)
                        print_json(o, record);
                else {
                        log_error("homefs-agent sent an Inspect reply without a record; check that it is from the same version");
                        status = EXIT_FAIL;
                }
                json_object_put(record);
        } else
                print_inspect(user, reply);
        json_object_put(reply);
        return status;
}

/* inspect [USER...]: like homectl, one record after another. */
int verb_inspect(const struct options *o, int argc, char **argv) {
        return for_each_user(o, argc, argv, "inspect", true, inspect_one);
}
