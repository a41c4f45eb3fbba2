/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* homefsctl's option values: timestamps (--not-before, --not-after) and
 * durations (--rate-limit-interval). */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "parse-args.h"
#include "tap.h"

static void check_time(const char *s, int want_r, unsigned long long want) {
        uint64_t v = 0;
        int r = parse_timestamp(s, &v);

        if (want_r < 0)
                tap_ok(r == want_r, "\"%s\" is refused (got %d)", s, r);
        else
                tap_ok(r == 0 && v == want, "\"%s\" is %llu (got %d, %llu)", s, want, r, (unsigned long long) v);
}

int main(void) {
        uint64_t v;

        /* Local time is UTC here, so that the expected values are fixed. */
        setenv("TZ", "UTC", 1);
        tzset();
        check_time("@1700000000", 0, 1700000000000000ULL);
        check_time("@0", -ERANGE, 0);
        check_time("@", -EINVAL, 0);
        check_time("@-5", -EINVAL, 0);
        check_time("@18446744073709551615", -EINVAL, 0);
        check_time("2099-01-02 03:04:05 UTC", 0, 4071006245000000ULL);
        check_time("2099-01-02 03:04:05", 0, 4071006245000000ULL);
        check_time("2099-01-02 03:04", 0, 4071006240000000ULL);
        check_time("2099-01-02", 0, 4070995200000000ULL);
        check_time("2099-01-02 03:04:05 junk", -EINVAL, 0);
        check_time("tomorrow", -EINVAL, 0);
        check_time("", -EINVAL, 0);
        check_time("1969-12-31", -ERANGE, 0);
        check_time("2099-01-02 03:04:05 UTC                                                              ", -EINVAL, 0);

        tap_ok(parse_usec("30s", &v) == 0 && v == 30000000, "30s is 30000000 us");
        tap_ok(parse_usec("soon", &v) == -EINVAL, "soon is refused");
        return tap_done();
}
