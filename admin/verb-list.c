/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "homefsctl.h"
#include "log.h"
#include "size.h"
#include "table.h"

static const char *member_text(struct json_object *o, const char *key) {
        struct json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return NULL;
        return json_object_get_string(v);
}

/* A size member as "1.5G", or "-" when the agent did not send it (used is
 * known only while unlocked). */
static const char *member_size(struct json_object *o, const char *key, char *buf, size_t size) {
        unsigned long long u;

        if (proto_get_u64(o, key, &u) < 0)
                return "-";
        return format_size(buf, size, u);
}

static int print_table(const struct options *o, struct json_object *homes) {
        static const char *const headers[] = { "NAME", "UID", "STATE", "SIZE", "USED", "HOST ROOM", "HOME", "IMAGE" };
        _cleanup_table_ struct table *t = table_new(ELEMENTSOF(headers), headers);
        size_t n;

        if (!t)
                return -ENOMEM;
        n = json_object_array_length(homes);
        for (size_t i = 0; i < n; i++) {
                struct json_object *h = json_object_array_get_idx(homes, i);
                char size[32], used[32], room[32];
                const char *cells[] = {
                        member_text(h, "userName"),
                        member_text(h, "uid"),
                        member_text(h, "state"),
                        member_size(h, "diskSize", size, sizeof(size)),
                        member_size(h, "fileSystemUsed", used, sizeof(used)),
                        member_size(h, "hostUnpromised", room, sizeof(room)),
                        member_text(h, "homeDirectory"),
                        member_text(h, "imagePath"),
                };
                int r;

                if (!json_object_is_type(h, json_type_object))
                        continue;
                r = table_add_row(t, cells);
                if (r < 0)
                        return r;
        }

        if (table_n_rows(t) == 0) {
                if (o->legend)
                        printf("No homes.\n");
                return 0;
        }
        table_sort(t, 0);
        table_print(t, stdout, o->legend);
        if (o->legend)
                printf("\n%zu home%s listed.\n", table_n_rows(t), table_n_rows(t) == 1 ? "" : "s");
        return 0;
}

int verb_list(const struct options *o, int argc, char **argv) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *reply = NULL, *homes;
        int r, status = EXIT_OK;

        if (argc > 0)
                return usage_error("'list' takes no arguments");

        r = agent_run(NULL, AGENT_INTERFACE ".List", NULL, false, &reply, &e);
        if (r < 0)
                return report_agent_error(&e, NULL);

        if (!json_object_object_get_ex(reply, "homes", &homes) || !json_object_is_type(homes, json_type_array)) {
                log_error("homefs-agent sent a List reply without 'homes'; check that it is from the same version");
                status = EXIT_FAIL;
        } else if (o->json != JSON_OFF) {
                struct json_object *rows = list_rows_json(homes);

                if (rows)
                        print_json(o, rows);
                else {
                        log_error("out of memory");
                        status = EXIT_FAIL;
                }
                json_object_put(rows);
        } else if (print_table(o, homes) < 0) {
                log_error("out of memory");
                status = EXIT_FAIL;
        }
        json_object_put(reply);
        return status;
}
