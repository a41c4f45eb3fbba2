/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>

/* --ssh-authorized-keys=KEY|@FILE (create, update): append
 * the key, or every key line of FILE (empty lines and '#' comments skipped,
 * as in authorized_keys), to the JSON array keys. Prints what went wrong and
 * returns negative errno. The agent validates the keys against the schema. */
int ssh_keys_append(struct json_object *keys, const char *value);
