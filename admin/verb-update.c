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

static int update_record(const struct options *o, const char *user) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *params, *changes = NULL, *reply = NULL;
        int r;

        params = user_params(user);
        if (!params || json_object_deep_copy(o->record, &changes, NULL) < 0) {
                json_object_put(params);
                log_error("Out of memory.");
                return EXIT_FAIL;
        }
        json_object_object_add(params, "changes", changes);
        r = agent_run(NULL, AGENT_INTERFACE ".Update", params, false, &reply, &e);
        if (r < 0)
                return report_agent_error(&e, user);

        if (o->json != JSON_OFF)
                print_json(o, reply);
        else if (!o->quiet)
                printf("Updated the record of %s.\n", user);
        json_object_put(reply);
        return EXIT_OK;
}

/* --recovery-key, --pkcs11-token-uri, --fido2-device, --ssh-unlock-key: enroll into the image,
 * proving ownership with the home's password. */
static int update_credentials(const struct options *o, const char *user) {
        _cleanup_(proto_conn_freep) struct proto_conn *conn = NULL;
        _cleanup_agent_error_ struct agent_error e = {};
        _cleanup_secret_ char *password = NULL;
        char prompt[256];
        int r;

        if (agent_connect(&conn, &e) < 0)
                return report_agent_error(&e, user);
        snprintf(prompt, sizeof(prompt), "Password for %s: ", user);
        r = ask_password(o, prompt, NULL, &password);
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
                return usage_error("The disk size is changed with 'homefsctl resize %s SIZE'.", user);
        if (!record && !credential_options_any(o))
                return usage_error("'update' needs at least one record option, e.g. --real-name=NAME, or a credential "
                                   "option: --recovery-key=yes, --pkcs11-token-uri=URI, --fido2-device=PATH, --ssh-unlock-key=KEY.");
        if (record && (r = update_record(o, user)) != EXIT_OK)
                return r;
        return credential_options_any(o) ? update_credentials(o, user) : EXIT_OK;
}
