/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Parsing of option values beyond lib/parse-util.h. Returns 0 or -EINVAL. */

#include "parse-util.h"

/* yes/no, true/false, on/off, 1/0. */
int parse_boolean(const char *s, bool *ret);
