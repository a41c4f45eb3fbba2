/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>

#include "macro.h"
#include "parse-util.h"

int parse_digits(const char **p, uint64_t *ret) {
        const char *s = *p;
        uint64_t v = 0;

        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        for (; *s >= '0' && *s <= '9'; s++) {
                unsigned d = (unsigned) (*s - '0');

                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *p = s;
        *ret = v;
        return 0;
}

int safe_atou64(const char *s, uint64_t *ret) {
        uint64_t v;
        int r;

        r = parse_digits(&s, &v);
        if (r < 0)
                return r;
        if (*s)
                return -EINVAL;
        *ret = v;
        return 0;
}

int safe_atou(const char *s, unsigned *ret) {
        uint64_t v;
        int r;

        r = safe_atou64(s, &v);
        if (r < 0)
                return r;
        if (v > UINT_MAX)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

int parse_pid(const char *s, pid_t *ret) {
        uint64_t v;
        int r;

        r = safe_atou64(s, &v);
        if (r < 0)
                return r;
        if (v == 0 || v > INT_MAX)
                return -ERANGE;
        *ret = (pid_t) v;
        return 0;
}

static int parse_time(const char *s, uint64_t bare_unit, uint64_t *ret) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                { "us", 1 },
                { "usec", 1 },
                { "ms", 1000 },
                { "msec", 1000 },
                { "s", 1000000 },
                { "sec", 1000000 },
                { "min", 60 * 1000000ULL },
                { "h", 3600 * 1000000ULL },
        };
        uint64_t v, unit = 0;
        int r;

        r = parse_digits(&s, &v);
        if (r < 0)
                return r;
        if (*s == '\0')
                unit = bare_unit;
        for (size_t i = 0; unit == 0 && i < ELEMENTSOF(units); i++)
                if (streq(s, units[i].suffix))
                        unit = units[i].usec;
        if (unit == 0)
                return -EINVAL;
        if (v > UINT64_MAX / unit)
                return -ERANGE;
        *ret = v * unit;
        return 0;
}

int parse_usec(const char *s, uint64_t *ret) {
        return parse_time(s, 1, ret);
}

int parse_sec(const char *s, uint64_t *ret) {
        return parse_time(s, 1000000, ret);
}
