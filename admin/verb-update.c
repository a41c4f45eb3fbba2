/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "credential-options.h"
#include "log.h"
#include "secret.h"

/* update USER --recovery-key=yes | --pkcs11-token-uri=URI: enroll credentials
 * into an existing home, proving ownership with its password. (Only the
 * credential options for now; record changes are another verb's part.) */
int verb_update(const struct options *o, int argc, char **argv) {
        _cleanup_(proto_conn_freep) struct proto_conn *conn = NULL;
        _cleanup_agent_error_ struct agent_error e = {};
        _cleanup_secret_ char *password = NULL;
        struct password_source src;
        char prompt[256];
        const char *user;
        int r;

        user = verb_user(argc, argv, "update", true);
        if (!user)
                return EXIT_USAGE;
        if (!credential_options_any(o))
                return usage_error("Nothing to update: give --recovery-key=yes, --pkcs11-token-uri=URI or --fido2-device=PATH.");
        if (agent_connect(&conn, &e) < 0)
                return report_agent_error(&e, user);
        if (open_password_source(o, &src) < 0)
                return EXIT_FAIL;
        snprintf(prompt, sizeof(prompt), "Password for %s: ", user);
        r = password_source_read(&src, prompt, &password);
        if (r >= 0)
                r = credential_options_enroll(conn, o, user, password, &src);
        else
                r = report_password_error(r, o);
        password_source_close(&src);
        if (r == EXIT_OK && !o->quiet)
                fprintf(stderr, "Updated the credentials of %s.\n", user);
        return r;
}
