/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The JSON that list and inspect print, in homectl's shapes: list an array of
 * row objects keyed by homectl's column names, inspect the user record itself
 * with the runtime state in a "status" section keyed by the machine ID, the
 * way systemd user records carry it. The agent's wire format stays its own. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "homefsctl.h"

static void copy_member(struct json_object *from, const char *key, struct json_object *to, const char *as) {
        struct json_object *v;

        if (json_object_object_get_ex(from, key, &v) && !json_object_is_type(v, json_type_null))
                json_object_object_add(to, as, json_object_get(v));
}

struct json_object *list_rows_json(struct json_object *homes) {
        /* homectl's columns first, then homefs's own (image, size, used,
         * host_room), named after the table's columns as homectl does. */
        static const struct {
                const char *key, *as;
        } columns[] = {
                { "userName", "name" },
                { "uid", "uid" },
                { "gid", "gid" },
                { "state", "state" },
                { "realName", "realname" },
                { "homeDirectory", "home" },
                { "shell", "shell" },
                { "imagePath", "image" },
                { "diskSize", "size" },
                { "fileSystemUsed", "used" },
                { "hostFree", "host_free" },
                { "hostUnpromised", "host_room" },
        };
        struct json_object *rows = json_object_new_array();

        if (!rows)
                return NULL;
        for (size_t i = 0; i < json_object_array_length(homes); i++) {
                struct json_object *h = json_object_array_get_idx(homes, i), *row;

                if (!json_object_is_type(h, json_type_object))
                        continue;
                row = json_object_new_object();
                if (!row || json_object_array_add(rows, row) < 0) {
                        json_object_put(row);
                        json_object_put(rows);
                        return NULL;
                }
                for (size_t c = 0; c < ELEMENTSOF(columns); c++)
                        copy_member(h, columns[c].key, row, columns[c].as);
        }
        return rows;
}

/* /etc/machine-id: 32 hex digits, the key of the status section. */
static void machine_id(char id[static 33]) {
        int fd = open("/etc/machine-id", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, id, 32) : -1;

        if (fd >= 0)
                close(fd);
        if (n != 32 || strspn(id, "0123456789abcdef") < 32)
                strcpy(id, "00000000000000000000000000000000"); /* none: still one status section */
        id[32] = 0;
}

struct json_object *inspect_record_json(struct json_object *reply) {
        /* The agent's summary repeats these from the record: not status. */
        static const char *const in_record[] = { "record", "userName", "uid", "gid", "shell", "realName",
                                                 "homeDirectory", "imagePath", "fileSystemUsed", "fileSystemSize" };
        struct json_object *in = NULL, *record = NULL, *status, *section;
        unsigned long long fs_size, fs_used;
        char id[33];

        if (!json_object_object_get_ex(reply, "record", &in) || !json_object_is_type(in, json_type_object) ||
            json_object_deep_copy(in, &record, NULL) < 0)
                return NULL;
        status = json_object_new_object();
        section = json_object_new_object();
        if (!status || !section) {
                json_object_put(status);
                json_object_put(section);
                json_object_put(record);
                return NULL;
        }
        machine_id(id);
        json_object_object_add(record, "status", status);
        json_object_object_add(status, id, section);
        json_object_object_add(section, "service", json_object_new_string(AGENT_INTERFACE));
        json_object_object_foreach(reply, key, value) {
                bool skip = false;

                for (size_t i = 0; i < ELEMENTSOF(in_record); i++)
                        skip = skip || streq(key, in_record[i]);
                if (!skip)
                        json_object_object_add(section, key, json_object_get(value));
        }
        /* homectl's names for what df says while unlocked. */
        if (proto_get_u64(reply, "fileSystemUsed", &fs_used) == 0) {
                json_object_object_add(section, "diskUsage", json_object_new_uint64(fs_used));
                if (proto_get_u64(reply, "fileSystemSize", &fs_size) == 0 && fs_size >= fs_used)
                        json_object_object_add(section, "diskFree", json_object_new_uint64(fs_size - fs_used));
        }
        return record;
}
