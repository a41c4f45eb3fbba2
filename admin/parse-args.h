/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Parsing of option values. Each returns 0 or -EINVAL (not a value of that
 * kind) or -ERANGE (out of range). */

/* A decimal whole number, no sign, no junk. */
int parse_u64(const char *s, uint64_t *ret);
int parse_u32(const char *s, uint32_t *ret);

/* yes/no, true/false, on/off, 1/0. */
int parse_boolean(const char *s, bool *ret);

/* A duration: a whole number with an optional unit: us (the default), ms, s,
 * min, h ("500ms", "2s", "2000000"). */
int parse_usec(const char *s, uint64_t *ret);

/* A point in time: "@EPOCH", "YYYY-MM-DD HH:MM:SS", "YYYY-MM-DD HH:MM" or
 * "YYYY-MM-DD" (local time, or UTC with a " UTC" suffix), in microseconds
 * since the epoch. */
int parse_timestamp(const char *s, uint64_t *ret);
