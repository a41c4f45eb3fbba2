/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "macro.h"
#include "parse-args.h"
#include "parse-util.h"

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
                if (safe_atou64(s + 1, &secs) < 0 || secs > INT64_MAX / 1000000)
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
