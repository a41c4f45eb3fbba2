/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>

#include "homefsctl.h"

/* homefsctl ssh-authorized-keys USER: the user's SSH public keys, one per
 * line, for sshd's AuthorizedKeysCommand. It runs as AuthorizedKeysCommandUser
 * (unprivileged): the agent serves public keys to anyone. A user homefs does
 * not manage has no keys here: nothing is printed and the status is 0, so
 * sshd quietly goes on with its other sources. */
int verb_ssh_keys(const struct options *o, int argc, char **argv) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *params, *reply = NULL, *keys = NULL;
        const char *user;
        int r;

        user = verb_user(argc, argv, "ssh-authorized-keys", false);
        if (!user)
                return EXIT_USAGE;
        params = user_params(user);
        if (!params)
                return EXIT_FAIL;
        r = agent_run(NULL, AGENT_INTERFACE ".GetSshKeys", params, false, &reply, &e);
        if (r == -ENOENT && e.origin == AGENT_ERROR_REPLY)
                return EXIT_OK;
        if (r < 0)
                return report_agent_error(&e, user);

        if (o->json != JSON_OFF)
                print_json(o, reply);
        else if (json_object_object_get_ex(reply, "keys", &keys) && json_object_is_type(keys, json_type_array))
                for (size_t i = 0; i < json_object_array_length(keys); i++) {
                        struct json_object *k = json_object_array_get_idx(keys, i);

                        if (json_object_is_type(k, json_type_string))
                                printf("%s\n", json_object_get_string(k));
                }
        json_object_put(reply);
        return EXIT_OK;
}
