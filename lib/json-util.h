/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Cleanup helper for json-c objects. Apart from macro.h because not every
 * binary links json-c. */

#include <json-c/json.h>

#include "macro.h"

static inline void json_object_putp(struct json_object **o) {
        json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_object_putp)
