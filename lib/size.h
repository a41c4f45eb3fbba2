/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <stddef.h>

/* Parse a size: a whole number of bytes, optionally with a suffix
 * K M G T P (binary, 1024-based, as homectl's --disk-size), optionally followed
 * by "iB" or "B" ("512M", "1G", "1GiB", "4096"). Decimal fractions are allowed
 * with a suffix ("1.5G"). Overflow, negatives and junk give -EINVAL/-ERANGE. */
int parse_size(const char *s, uint64_t *ret);

/* Parse a percentage "N%" (0 < N <= 100) into *ret (1..100); -EINVAL if s is
 * not a percentage. */
int parse_percent(const char *s, unsigned *ret);

/* Format bytes the way people read them: "256.0M", "1.5G", "512B" (one
 * decimal, rounded down). A buffer of FORMAT_SIZE_MAX always suffices; a
 * smaller one truncates. Returns buf (NULL if buf is NULL or size 0). */
#define FORMAT_SIZE_MAX 16
const char *format_size(char *buf, size_t size, uint64_t bytes);
