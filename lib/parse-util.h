/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* Strict decimal parsing for every option, argument and file name that holds
 * a number. strtoul() accepts leading blanks, a sign ("-1" wraps to a huge
 * value) and trailing junk; none of these do. Each returns 0, -EINVAL (not a
 * number of that kind) or -ERANGE (overflow). */

/* The leading digits of *p (at least one), advancing *p past them. */
int parse_digits(const char **p, uint64_t *ret);

/* A whole decimal number and nothing else. */
int safe_atou64(const char *s, uint64_t *ret);
int safe_atou(const char *s, unsigned *ret);

/* A process id, 1 to INT_MAX: a /proc entry name, for instance. */
int parse_pid(const char *s, pid_t *ret);

/* A duration in microseconds: a whole number with an optional unit, us, usec,
 * ms, msec, s, sec, min or h. A bare number is in microseconds for parse_usec
 * ("2000000") and in seconds for parse_sec ("2"). */
int parse_usec(const char *s, uint64_t *ret);
int parse_sec(const char *s, uint64_t *ret);
