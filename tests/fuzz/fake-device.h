/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>

/* The header's tokens that fake-device.c's luks_tokens_list() returns: a
 * JSON array, or anything else (then the header "is unreadable"). */
extern struct json_object *fake_tokens;
extern unsigned fake_failed_attempts, fake_good_attempts;
