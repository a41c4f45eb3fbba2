/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>

#include "agent-config.h"

/* What can be enrolled here: {"pkcs11": [{uri, keyType, token, label?}],
 * "fido2": [{path}]} (FIDO2: the agent's --fido2-device paths and HID keys). */
struct json_object *security_tokens_list(const struct agent_config *config);
