/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "macro.h"
#include "parse-args.h"

/* Parse the number at the start of s, returning where it ends in *end. */
static int parse_number(const char *s, uint64_t *ret, const char **end) {
        unsigned long long v;
        char *e;

        /* strtoull() accepts leading blanks and a sign; we do not. */
        if (!s || s[0] < '0' || s[0] > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &e, 10);
        if (errno == ERANGE)
                return -ERANGE;
        *ret = v;
        *end = e;
        return 0;
}

int parse_u64(const char *s, uint64_t *ret) {
        const char *end;
        uint64_t v;
        int r;

        r = parse_number(s, &v, &end);
        if (r < 0)
                return r;
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int parse_u32(const char *s, uint32_t *ret) {
        uint64_t v;
        int r;

        r = parse_u64(s, &v);
        if (r < 0)
                return r;
        if (v > UINT32_MAX)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

int parse_boolean(const char *s, bool *ret) {
        static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

int parse_usec(const char *s, uint64_t *ret) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                { "", 1 },
                { "us", 1 },
                { "usec", 1 },
                { "ms", 1000 },
                { "msec", 1000 },
                { "s", 1000000 },
                { "sec", 1000000 },
                { "min", 60 * 1000000ULL },
                { "h", 3600 * 1000000ULL },
        };
        const char *end;
        uint64_t v;
        int r;

        r = parse_number(s, &v, &end);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (streq(end, units[i].suffix)) {
                        if (v > UINT64_MAX / units[i].usec)
                                return -ERANGE;
                        *ret = v * units[i].usec;
                        return 0;
                }
        return -EINVAL;
}

/* A point in time as homectl takes it: "@EPOCH" (seconds since the epoch),
 * "YYYY-MM-DD HH:MM[:SS]" or "YYYY-MM-DD" in local time, with an optional
 * " UTC" suffix for UTC. In microseconds since the epoch. */
int parse_timestamp(const char *s, uint64_t *ret) {
        static const char *const formats[] = { "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d" };
        char buf[64];
        size_t n = strlen(s);
        bool utc = false;
        uint64_t secs;

        if (s[0] == '@') {
                if (parse_u64(s + 1, &secs) < 0 || secs > INT64_MAX / 1000000)
                        return -EINVAL;
                if (secs == 0)
                        return -ERANGE; /* 0 means unset in user records */
                *ret = secs * 1000000;
                return 0;
        }
        if (n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, n + 1);
        if (n > 4 && streq(buf + n - 4, " UTC")) {
                buf[n - 4] = 0;
                utc = true;
        }
        for (size_t i = 0; i < ELEMENTSOF(formats); i++) {
                struct tm tm = { .tm_isdst = -1 };
                const char *end = strptime(buf, formats[i], &tm);
                time_t t;

                if (!end || *end)
                        continue;
                t = utc ? timegm(&tm) : mktime(&tm);
                if (t == (time_t) -1 || t <= 0)
                        return -ERANGE;
                *ret = (uint64_t) t * 1000000;
                return 0;
        }
        return -EINVAL;
}
