/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>

#include "parse-util.h"
#include "tap.h"

#define UNTOUCHED 0xdeadbeefULL

static void check_u64(const char *s, int want_r, uint64_t want) {
        uint64_t v = UNTOUCHED;
        int r = safe_atou64(s, &v);

        if (want_r < 0)
                tap_ok(r == want_r && v == UNTOUCHED, "safe_atou64(\"%s\") fails with %d (got %d)", s, want_r, r);
        else
                tap_ok(r == 0 && v == want, "safe_atou64(\"%s\") = %" PRIu64 " (got %d, %" PRIu64 ")", s, want, r, v);
}

static void check_u(const char *s, int want_r, unsigned want) {
        unsigned v = 777;
        int r = safe_atou(s, &v);

        if (want_r < 0)
                tap_ok(r == want_r && v == 777, "safe_atou(\"%s\") fails with %d (got %d)", s, want_r, r);
        else
                tap_ok(r == 0 && v == want, "safe_atou(\"%s\") = %u (got %d, %u)", s, want, r, v);
}

static void check_time(int (*f)(const char *, uint64_t *), const char *name, const char *s, int want_r, uint64_t want) {
        uint64_t v = UNTOUCHED;
        int r = f(s, &v);

        if (want_r < 0)
                tap_ok(r == want_r && v == UNTOUCHED, "%s(\"%s\") fails with %d (got %d)", name, s, want_r, r);
        else
                tap_ok(r == 0 && v == want, "%s(\"%s\") = %" PRIu64 " (got %d, %" PRIu64 ")", name, s, want, r, v);
}

int main(void) {
        const char *p = "42abc";
        uint64_t v = 0;

        check_u64("0", 0, 0);
        check_u64("007", 0, 7);
        check_u64("18446744073709551615", 0, UINT64_MAX);
        check_u64("18446744073709551616", -ERANGE, 0);
        check_u64("99999999999999999999999", -ERANGE, 0);
        /* everything strtoull() lets through */
        check_u64("", -EINVAL, 0);
        check_u64(NULL, -EINVAL, 0);
        check_u64("-1", -EINVAL, 0);
        check_u64("+1", -EINVAL, 0);
        check_u64(" 1", -EINVAL, 0);
        check_u64("1 ", -EINVAL, 0);
        check_u64("0x10", -EINVAL, 0);
        check_u64("1.5", -EINVAL, 0);
        check_u64("12abc", -EINVAL, 0);

        check_u("4294967295", 0, 4294967295U);
        check_u("4294967296", -ERANGE, 0);
        check_u("-0", -EINVAL, 0);
        check_u("3", 0, 3);

        {
                pid_t pid = 77;

                tap_ok(parse_pid("1234", &pid) == 0 && pid == 1234, "parse_pid(\"1234\") = 1234");
                pid = 77;
                tap_ok(parse_pid("0", &pid) == -ERANGE && pid == 77, "parse_pid(\"0\") is out of range");
                tap_ok(parse_pid("2147483648", &pid) == -ERANGE && pid == 77, "parse_pid(\"2147483648\") is out of range");
                tap_ok(parse_pid("self", &pid) == -EINVAL && pid == 77, "parse_pid(\"self\") is not a pid");
        }

        v = UNTOUCHED;
        tap_ok(safe_atou64("1\n", &v) == -EINVAL && v == UNTOUCHED, "safe_atou64(\"1\\n\") fails with -22");
        v = 0;
        tap_ok(parse_digits(&p, &v) == 0 && v == 42 && *p == 'a', "parse_digits stops at the first non-digit");
        p = "x1";
        tap_ok(parse_digits(&p, &v) == -EINVAL && *p == 'x', "parse_digits needs a digit first and leaves *p");

        check_time(parse_usec, "parse_usec", "2000000", 0, 2000000);
        check_time(parse_usec, "parse_usec", "500ms", 0, 500000);
        check_time(parse_usec, "parse_usec", "2s", 0, 2000000);
        check_time(parse_usec, "parse_usec", "3min", 0, 180000000);
        check_time(parse_usec, "parse_usec", "1h", 0, 3600000000ULL);
        check_time(parse_usec, "parse_usec", "7usec", 0, 7);
        check_time(parse_usec, "parse_usec", "2 s", -EINVAL, 0);
        check_time(parse_usec, "parse_usec", "s", -EINVAL, 0);
        check_time(parse_usec, "parse_usec", "2days", -EINVAL, 0);
        check_time(parse_usec, "parse_usec", "-2s", -EINVAL, 0);
        check_time(parse_usec, "parse_usec", "18446744073709551615h", -ERANGE, 0);
        check_time(parse_sec, "parse_sec", "2", 0, 2000000);
        check_time(parse_sec, "parse_sec", "2ms", 0, 2000);
        check_time(parse_sec, "parse_sec", "18446744073710", -ERANGE, 0);
        check_time(parse_sec, "parse_sec", "+2", -EINVAL, 0);

        return tap_done();
}
