/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "homefsctl.h"
#include "log.h"
#include "parse-args.h"
#include "parse-util.h"

/* --type=NAME and the LUKS2 token type it stands for ("password": a keyslot
 * without a token). */
static const struct {
        const char *name, *token_type;
} types[] = {
        { "password", "password" },
        { "recovery", "systemd-recovery" },
        { "pkcs11", "systemd-pkcs11" },
        { "fido2", "systemd-fido2" },
        { "ssh-agent", "homefs-ssh-agent" },
};

static int remove_slot(const struct options *o, const char *user, uint32_t slot) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *params;

        params = user_params(user);
        if (!params)
                return EXIT_FAIL;
        json_object_object_add(params, "keyslot", json_object_new_int64(slot));
        if (agent_run(NULL, AGENT_INTERFACE ".RemoveCredential", params, false, NULL, &e) < 0)
                return report_agent_error(&e, user);
        if (!o->quiet)
                printf("Removed keyslot %u of %s.\n", slot, user);
        return EXIT_OK;
}

/* --type: every keyslot of that type, as 'inspect' lists them. */
static int remove_type(const struct options *o, const char *user) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *params, *reply = NULL, *list, *c, *v;
        const char *token_type = NULL;
        uint32_t slots[64];
        size_t n = 0;
        int status = EXIT_OK;

        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                if (streq(o->credential_type, types[i].name))
                        token_type = types[i].token_type;
        if (!token_type)
                return usage_error("invalid value '%s' for --type: expected password, recovery, pkcs11, fido2 or ssh-agent",
                                   o->credential_type);
        params = user_params(user);
        if (!params)
                return EXIT_FAIL;
        if (agent_run(NULL, AGENT_INTERFACE ".Inspect", params, false, &reply, &e) < 0)
                return report_agent_error(&e, user);
        if (json_object_object_get_ex(reply, "credentials", &list) && json_object_is_type(list, json_type_array))
                for (size_t i = 0; i < json_object_array_length(list) && n < ELEMENTSOF(slots); i++) {
                        c = json_object_array_get_idx(list, i);
                        if (json_object_object_get_ex(c, "type", &v) && json_object_is_type(v, json_type_string) &&
                            streq(json_object_get_string(v), token_type) &&
                            json_object_object_get_ex(c, "keyslot", &v) && json_object_is_type(v, json_type_int) &&
                            json_object_get_int64(v) >= 0 && json_object_get_int64(v) <= UINT32_MAX)
                                slots[n++] = (uint32_t) json_object_get_int64(v);
                }
        json_object_put(reply);
        if (n == 0) {
                log_error("the home of %s has no %s credential", user, o->credential_type);
                return EXIT_FAIL;
        }
        /* The agent refuses to remove the last keyslot: that one stays. */
        for (size_t i = 0; i < n; i++) {
                int r = remove_slot(o, user, slots[i]);

                if (r != EXIT_OK && status == EXIT_OK)
                        status = r;
        }
        return status;
}

/* remove-credential USER KEYSLOT, or USER --type=TYPE: destroy keyslots and
 * their tokens (the keyslot numbers are in 'inspect'). */
int verb_remove_credential(const struct options *o, int argc, char **argv) {
        uint32_t slot;

        if (o->credential_type) {
                if (argc != 1)
                        return usage_error("'remove-credential --type=TYPE' takes a user name only");
                return remove_type(o, argv[0]);
        }
        if (argc != 2)
                return usage_error("'remove-credential' takes a user name and a keyslot number, or a user name and --type=TYPE");
        if (safe_atou(argv[1], &slot) < 0)
                return usage_error("invalid keyslot '%s': expected a number from 'homefsctl inspect %s'", argv[1], argv[0]);
        return remove_slot(o, argv[0], slot);
}
