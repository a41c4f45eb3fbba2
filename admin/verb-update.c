/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "credential-options.h"
#include "homefsctl.h"
#include "log.h"
#include "secret.h"

/* The size of a home changes with 'resize', which does more than edit the
 * record; say so rather than let the agent call the field read-only. */
static bool wants_resize(const struct options *o) {
        return o->disk_size_percent > 0 || (o->record && json_object_object_get_ex(o->record, "diskSize", NULL));
}

/* update --identity=FILE: the fields of FILE's record that differ from the
 * home's record become changes (fields FILE leaves out stay as they are);
 * the agent refuses a read-only one. The flags on the command line win. */
static int identity_changes(const struct options *o, const char *user, struct json_object *changes) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *identity = NULL, *reply = NULL, *current = NULL, *params, *v;
        int r;

        if (identity_load(o->identity, user, &identity) < 0)
                return EXIT_FAIL;
        params = user_params(user);
        if (!params) {
                json_object_put(identity);
                return EXIT_FAIL;
        }
        r = agent_run(NULL, AGENT_INTERFACE ".Inspect", params, false, &reply, &e);
        if (r < 0) {
                json_object_put(identity);
                return report_agent_error(&e, user);
        }
        json_object_object_get_ex(reply, "record", &current);
        json_object_object_foreach(identity, key, value) {
                if (streq(key, "userName") || json_object_object_get_ex(changes, key, NULL))
                        continue;
                if (current && json_object_object_get_ex(current, key, &v) && json_object_equal(v, value))
                        continue;
                json_object_object_add(changes, key, json_object_get(value));
        }
        json_object_put(reply);
        json_object_put(identity);
        return EXIT_OK;
}

static int update_record(const struct options *o, const char *user) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *params, *changes = NULL, *reply = NULL;
        int r;

        params = user_params(user);
        changes = o->record ? NULL : json_object_new_object();
        if (!params || (o->record && json_object_deep_copy(o->record, &changes, NULL) < 0) || !changes) {
                json_object_put(params);
                json_object_put(changes);
                log_error("out of memory");
                return EXIT_FAIL;
        }
        if (o->identity && (r = identity_changes(o, user, changes)) != EXIT_OK) {
                json_object_put(params);
                json_object_put(changes);
                return r;
        }
        if (json_object_object_length(changes) == 0) {
                json_object_put(params);
                json_object_put(changes);
                if (!o->quiet && o->json == JSON_OFF)
                        printf("The record of %s already matches %s.\n", user, o->identity);
                return EXIT_OK;
        }
        json_object_object_add(params, "changes", changes);
        r = agent_run(NULL, AGENT_INTERFACE ".Update", params, false, &reply, &e);
        if (r < 0)
                return report_agent_error(&e, user);

        if (o->json != JSON_OFF) {
                struct json_object *record = NULL; /* the new record itself */

                json_object_object_get_ex(reply, "record", &record);
                print_json(o, record ? record : reply);
        } else if (!o->quiet)
                printf("Updated the record of %s.\n", user);
        json_object_put(reply);
        return EXIT_OK;
}

/* --recovery-key, --pkcs11-token-uri, --fido2-device, --ssh-unlock-key: enroll into the image,
 * proving ownership with the home's password. */
static int update_credentials(const struct options *o, const char *user) {
        _cleanup_(proto_conn_freep) struct proto_conn *conn = NULL;
        _cleanup_secret_ char *password = NULL;
        int r;

        r = connect_and_ask_password(o, user, &conn, &password);
        if (r != EXIT_OK)
                return r;
        r = credential_options_enroll(conn, o, user, password);
        if (r == EXIT_OK && !o->quiet)
                fprintf(stderr, "Updated the credentials of %s.\n", user);
        return r;
}

int verb_update(const struct options *o, int argc, char **argv) {
        bool record = o->record && json_object_object_length(o->record) > 0;
        const char *user;
        int r;

        if (credential_options_list_requested(o))
                return credential_options_list(o);
        user = verb_user(argc, argv, "update", false);
        if (!user)
                return EXIT_USAGE;
        if (wants_resize(o))
                return usage_error("the disk size is changed with 'homefsctl resize %s SIZE'", user);
        if (o->identity && streq(o->identity, "-") && !o->password_file && credential_options_any(o))
                return usage_error("--identity=- reads standard input; give the password with --password-file");
        record = record || o->identity;
        if (!record && !credential_options_any(o))
                return usage_error("'update' needs at least one record option, e.g. --real-name=NAME, --identity=FILE, or a credential "
                                   "option: --recovery-key=yes, --pkcs11-token-uri=URI, --fido2-device=PATH, --ssh-unlock-key=KEY");
        if (record && (r = update_record(o, user)) != EXIT_OK)
                return r;
        return credential_options_any(o) ? update_credentials(o, user) : EXIT_OK;
}
