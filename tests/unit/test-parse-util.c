/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "parse-util.h"
#include "tap.h"

static void check_u64(const char *s, int want_r, uint64_t want) {
        tap_parse_u64(safe_atou64, "safe_atou64", s, want_r, want);
}

static void check_u(const char *s, int want_r, unsigned want) {
        tap_parse_unsigned(safe_atou, "safe_atou", s, want_r, want);
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

        v = 0xdeadbeef; /* the name has a newline: a TAP line of its own */
        tap_ok(safe_atou64("1\n", &v) == -EINVAL && v == 0xdeadbeef, "safe_atou64(\"1\\n\") fails with -22");
        v = 0;
        tap_ok(parse_digits(&p, &v) == 0 && v == 42 && *p == 'a', "parse_digits stops at the first non-digit");
        p = "x1";
        tap_ok(parse_digits(&p, &v) == -EINVAL && *p == 'x', "parse_digits needs a digit first and leaves *p");

        tap_parse_u64(parse_usec, "parse_usec", "2000000", 0, 2000000);
        tap_parse_u64(parse_usec, "parse_usec", "500ms", 0, 500000);
        tap_parse_u64(parse_usec, "parse_usec", "2s", 0, 2000000);
        tap_parse_u64(parse_usec, "parse_usec", "3min", 0, 180000000);
        tap_parse_u64(parse_usec, "parse_usec", "1h", 0, 3600000000ULL);
        tap_parse_u64(parse_usec, "parse_usec", "7usec", 0, 7);
        tap_parse_u64(parse_usec, "parse_usec", "2 s", -EINVAL, 0);
        tap_parse_u64(parse_usec, "parse_usec", "s", -EINVAL, 0);
        tap_parse_u64(parse_usec, "parse_usec", "2days", -EINVAL, 0);
        tap_parse_u64(parse_usec, "parse_usec", "-2s", -EINVAL, 0);
        tap_parse_u64(parse_usec, "parse_usec", "18446744073709551615h", -ERANGE, 0);
        tap_parse_u64(parse_sec, "parse_sec", "2", 0, 2000000);
        tap_parse_u64(parse_sec, "parse_sec", "2ms", 0, 2000);
        tap_parse_u64(parse_sec, "parse_sec", "18446744073710", -ERANGE, 0);
        tap_parse_u64(parse_sec, "parse_sec", "+2", -EINVAL, 0);

        return tap_done();
}
