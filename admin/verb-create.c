/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

#include "ask-password.h"
#include "credential-options.h"
#include "escape.h"
#include "homefsctl.h"
#include "log.h"
#include "secret.h"
#include "size.h"

static const char *string_member(struct json_object *o, const char *key) {
        struct json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static void print_created(const struct options *o, const char *user, struct json_object *reply) {
        struct json_object *record = NULL, *uid = NULL;
        unsigned long long disk_size = 0;
        char size[32] = "?", path[4 * PATH_MAX];

        json_object_object_get_ex(reply, "record", &record);
        if (proto_get_u64(reply, "diskSize", &disk_size) == 0)
                format_size(size, sizeof(size), disk_size);

        printf("Created the home of %s.\n", user);
        if (record && json_object_object_get_ex(record, "uid", &uid))
                printf("  UID:            %s\n", json_object_get_string(uid));
        if (o->disk_size_percent > 0)
                printf("  Disk size:      %s (%u%% of the free space)\n", size, o->disk_size_percent);
        else
                printf("  Disk size:      %s\n", size);
        if (record && string_member(record, "imagePath"))
                printf("  Image:          %s\n", escape_to(path, sizeof(path), string_member(record, "imagePath")));
        if (record && string_member(record, "homeDirectory"))
                printf("  Home directory: %s\n", escape_to(path, sizeof(path), string_member(record, "homeDirectory")));
}

/* The Create parameters: the record from --identity, overridden by the
 * flags, plus userName, the size as a percentage if one was given, and the
 * password. identity is taken over. */
static struct json_object *create_params(const struct options *o, const char *user, struct json_object *identity,
                                         const char *password) {
        struct json_object *params = json_object_new_object(), *record = identity;

        if (!record)
                record = json_object_new_object();
        if (!params || !record) {
                json_object_put(params);
                json_object_put(record);
                return NULL;
        }
        if (o->record) {
                json_object_object_foreach(o->record, key, val)
                        if (val) /* null: unset, i.e. left out */
                                json_object_object_add(record, key, json_object_get(val));
        }
        if (identity)
                json_object_object_add(params, "adoptImage", json_object_new_boolean(true));
        json_object_object_add(record, "userName", json_object_new_string(user));
        json_object_object_add(params, "record", record);
        if (o->disk_size_percent > 0)
                json_object_object_add(params, "diskSizePercent", json_object_new_int(o->disk_size_percent));
        if (o->allow_overcommit)
                json_object_object_add(params, "allowOvercommit", json_object_new_boolean(true));
        json_object_object_add(params, "password", json_object_new_string(password));
        return params;
}

int verb_create(const struct options *o, int argc, char **argv) {
        _cleanup_secret_ char *password = NULL;
        _cleanup_(proto_conn_freep) struct proto_conn *conn = NULL;
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *reply = NULL, *params, *identity = NULL;
        char prompt[256];
        const char *user;
        int r;

        if (credential_options_list_requested(o))
                return credential_options_list(o);
        user = verb_user(argc, argv, "create", false);
        if (!user)
                return EXIT_USAGE;
        if (agent_connect(&conn, &e) < 0)
                return report_agent_error(&e, user);

        if (o->identity && streq(o->identity, "-") && !o->password_file)
                return usage_error("--identity=- reads standard input; give the password with --password-file");
        if (o->identity && identity_load(o->identity, user, &identity) < 0)
                return EXIT_FAIL;

        /* A moved image has its password already: ask once. */
        snprintf(prompt, sizeof(prompt), identity ? "Password of the home of %s: " : "Password for the new home of %s: ", user);
        r = ask_password(o, prompt, identity ? NULL : "Repeat the password: ", &password);
        /* A moved image keeps the password it has: only a new one is checked. */
        if (r == EXIT_OK && !identity)
                r = password_quality_check(o, user, NULL, password);
        if (r != EXIT_OK) {
                json_object_put(identity);
                return r;
        }

        params = create_params(o, user, identity, password);
        if (!params) {
                log_error("out of memory");
                return EXIT_FAIL;
        }
        if (!o->quiet && o->json == JSON_OFF)
                progress_begin("Formatting the image (PBKDF benchmark, mkfs)");
        r = agent_run(conn, AGENT_INTERFACE ".Create", params, true, &reply, &e);
        progress_end();
        if (r < 0)
                return report_agent_error(&e, user);

        if (o->json != JSON_OFF) {
                /* As inspect --json: the record, the sizes under "status". */
                struct json_object *record = inspect_record_json(reply);

                print_json(o, record ? record : reply);
                json_object_put(record);
        } else if (!o->quiet)
                print_created(o, user, reply);
        warn_overcommitted(reply);
        json_object_put(reply);
        r = credential_options_any(o) ? credential_options_enroll(conn, o, user, password) : EXIT_OK;
        if (r != EXIT_OK)
                log_error("the home of %s was created with its password only; enroll again with 'homefsctl update %s'",
                          user, user);
        return r;
}
