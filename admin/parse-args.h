/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Parsing of option values beyond lib/parse-util.h. Returns 0 or -EINVAL. */

#include "parse-util.h"

/* yes/no, true/false, on/off, 1/0. */
int parse_boolean(const char *s, bool *ret);

/* A point in time: "@EPOCH", "YYYY-MM-DD HH:MM:SS", "YYYY-MM-DD HH:MM" or
 * "YYYY-MM-DD" (local time, or UTC with a " UTC" suffix), in microseconds
 * since the epoch. */
int parse_timestamp(const char *s, uint64_t *ret);
