/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "homefsctl.h"
#include "parse-args.h"

/* remove-credential USER KEYSLOT: destroy one keyslot and its token (the
 * keyslot numbers are in 'inspect'); the agent refuses the last one. */
int verb_remove_credential(const struct options *o, int argc, char **argv) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *params;
        unsigned slot;
        int r;

        if (argc != 2)
                return usage_error("'remove-credential' takes a user name and a keyslot number.");
        if (safe_atou(argv[1], &slot) < 0)
                return usage_error("Invalid keyslot '%s': expected a number from 'homefsctl inspect %s'.", argv[1], argv[0]);
        params = user_params(argv[0]);
        if (!params)
                return EXIT_FAIL;
        json_object_object_add(params, "keyslot", json_object_new_int64(slot));
        r = agent_run(NULL, AGENT_INTERFACE ".RemoveCredential", params, false, NULL, &e);
        if (r < 0)
                return report_agent_error(&e, argv[0]);
        if (!o->quiet)
                printf("Removed keyslot %u of %s.\n", slot, argv[0]);
        return EXIT_OK;
}
