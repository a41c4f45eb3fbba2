/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "record.h"

/* systemd's JSON user record of a homefs user; the "privileged" section
 * (sshAuthorizedKeys) only when privileged is true. */
struct json_object *userdb_user_json(const struct user_record *r, const char *login_shell, const char *service,
                                    bool privileged);

/* The JSON group record of the user's own group. */
struct json_object *userdb_group_json(const struct user_record *r, const char *service);
