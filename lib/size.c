/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "macro.h"
#include "parse-util.h"
#include "size.h"

/* At most this many fraction digits count; more are accepted and ignored.
 * 10^18 < 2^60 keeps the long division below in range. */
#define FRACTION_DIGITS_MAX 18

static const struct {
        char suffix;
        unsigned shift;
} size_units[] = {
        { 'K', 10 },
        { 'M', 20 },
        { 'G', 30 },
        { 'T', 40 },
        { 'P', 50 },
};

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* floor(num / den * 2^shift) for num < den <= 10^18, by binary long division,
 * so that "1.1G" is exact without floating point. */
static uint64_t scale_fraction(uint64_t num, uint64_t den, unsigned shift) {
        uint64_t q = 0, rem = num;

        for (unsigned i = 0; i < shift; i++) {
                rem *= 2; /* rem < den < 2^60: no overflow */
                q *= 2;
                if (rem >= den) {
                        rem -= den;
                        q++;
                }
        }
        return q;
}

/* The suffix: "", "B", or K/M/G/T/P optionally followed by "iB" or "B". */
static int parse_suffix(const char *s, unsigned *ret_shift) {
        if (*s == '\0' || streq(s, "B")) {
                *ret_shift = 0;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(size_units); i++) {
                if (s[0] != size_units[i].suffix)
                        continue;
                if (s[1] == '\0' || streq(s + 1, "B") || streq(s + 1, "iB")) {
                        *ret_shift = size_units[i].shift;
                        return 0;
                }
        }
        return -EINVAL;
}

int parse_size(const char *s, uint64_t *ret) {
        uint64_t whole, num = 0, den = 1, result;
        unsigned shift;
        bool fraction = false;
        int r;

        if (!s || !ret)
                return -EINVAL;

        r = parse_digits(&s, &whole); /* rejects "", "-1", " 1", "+1" */
        if (r < 0)
                return r;

        if (*s == '.') {
                s++;
                if (!is_digit(*s))
                        return -EINVAL;
                fraction = true;
                for (unsigned n = 0; is_digit(*s); s++, n++)
                        if (n < FRACTION_DIGITS_MAX) {
                                num = num * 10 + (unsigned) (*s - '0');
                                den *= 10;
                        }
        }

        r = parse_suffix(s, &shift);
        if (r < 0)
                return r;
        if (fraction && shift == 0)
                return -EINVAL; /* no fractions of a byte */

        if (whole > (UINT64_MAX >> shift))
                return -ERANGE;
        result = whole << shift;
        if (fraction) {
                uint64_t extra = scale_fraction(num, den, shift);

                if (result > UINT64_MAX - extra)
                        return -ERANGE;
                result += extra;
        }

        *ret = result;
        return 0;
}

int parse_percent(const char *s, unsigned *ret) {
        uint64_t v;
        int r;

        if (!s || !ret)
                return -EINVAL;

        r = parse_digits(&s, &v);
        if (r == -ERANGE)
                return -ERANGE;
        if (r < 0 || !streq(s, "%"))
                return -EINVAL;
        if (v == 0 || v > 100)
                return -ERANGE;

        *ret = (unsigned) v;
        return 0;
}

/* Index into "KMGTPE" of the largest unit not above bytes (bytes >= 1024). */
static unsigned size_unit_index(uint64_t bytes) {
        unsigned i = 0;

        while (i < 5 && bytes >> (10 * (i + 2)) > 0)
                i++;
        return i;
}

const char *format_size(char *buf, size_t size, uint64_t bytes) {
        static const char suffixes[] = "KMGTPE";
        unsigned i, shift, tenth;
        uint64_t whole, rest;

        if (!buf || size == 0)
                return NULL;

        if (bytes < 1024) {
                (void) snprintf(buf, size, "%" PRIu64 "B", bytes);
                return buf;
        }

        /* One decimal, rounded down, so that what is shown is never more
         * than there is. rest < 2^shift <= 2^60, so rest * 10 fits. */
        i = size_unit_index(bytes);
        shift = 10 * (i + 1);
        whole = bytes >> shift;
        rest = bytes - (whole << shift);
        tenth = (unsigned) ((rest * 10) >> shift);
        (void) snprintf(buf, size, "%" PRIu64 ".%u%c", whole, tenth, suffixes[i]);
        return buf;
}
