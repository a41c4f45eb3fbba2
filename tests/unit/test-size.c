/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "size.h"
#include "tap.h"

static void check_size(const char *s, int want_r, uint64_t want) {
        tap_parse_u64(parse_size, "parse_size", s, want_r, want);
}

static void check_percent(const char *s, int want_r, unsigned want) {
        tap_parse_unsigned(parse_percent, "parse_percent", s, want_r, want);
}

static void check_format(uint64_t bytes, const char *want) {
        char buf[FORMAT_SIZE_MAX];
        const char *s = format_size(buf, sizeof(buf), bytes);

        tap_ok(s == buf && strcmp(s, want) == 0, "format_size(%" PRIu64 ") = \"%s\" (got \"%s\")", bytes, want, s ?: "(null)");
}

int main(void) {
        char small[4];

        /* plain bytes and suffixes */
        check_size("0", 0, 0);
        check_size("4096", 0, 4096);
        check_size("512B", 0, 512);
        check_size("1K", 0, 1024);
        check_size("1KB", 0, 1024);
        check_size("1KiB", 0, 1024);
        check_size("512M", 0, 512ULL << 20);
        check_size("1G", 0, 1ULL << 30);
        check_size("1GiB", 0, 1ULL << 30);
        check_size("20G", 0, 20ULL << 30);
        check_size("2T", 0, 2ULL << 40);
        check_size("3P", 0, 3ULL << 50);
        /* fractions, exact, rounded down */
        check_size("1.5G", 0, 3ULL << 29);
        check_size("0.5K", 0, 512);
        check_size("1.1K", 0, 1126);  /* 1126.4 */
        check_size("2.25MiB", 0, 2359296);
        check_size("0.001K", 0, 1);   /* 1.024 */
        check_size("1.0000000000000000000000001G", 0, 1ULL << 30);
        /* the largest values */
        check_size("18446744073709551615", 0, UINT64_MAX);
        check_size("16383P", 0, 16383ULL << 50);
        check_size("16383.999P", 0, (16383ULL << 50) + 1124774006935781ULL);
        /* overflow */
        check_size("18446744073709551616", -ERANGE, 0);
        check_size("99999999999999999999999", -ERANGE, 0);
        check_size("16384P", -ERANGE, 0);
        check_size("17179869184G", -ERANGE, 0);
        /* junk */
        check_size("", -EINVAL, 0);
        check_size("-1", -EINVAL, 0);
        check_size("-1G", -EINVAL, 0);
        check_size("+1G", -EINVAL, 0);
        check_size(" 1G", -EINVAL, 0);
        check_size("1G ", -EINVAL, 0);
        check_size("1 G", -EINVAL, 0);
        check_size("G", -EINVAL, 0);
        check_size("1g", -EINVAL, 0);
        check_size("1X", -EINVAL, 0);
        check_size("1E", -EINVAL, 0);
        check_size("1GB1", -EINVAL, 0);
        check_size("1Gi", -EINVAL, 0);
        check_size("1iB", -EINVAL, 0);
        check_size("1.5", -EINVAL, 0);
        check_size("1.5B", -EINVAL, 0);
        check_size(".5G", -EINVAL, 0);
        check_size("1.G", -EINVAL, 0);
        check_size("1..5G", -EINVAL, 0);
        check_size("0x10", -EINVAL, 0);
        check_size("1e9", -EINVAL, 0);
        check_size("10%", -EINVAL, 0);
        tap_ok(parse_size(NULL, &(uint64_t) { 0 }) == -EINVAL, "parse_size(NULL) is -EINVAL");

        /* percentages */
        check_percent("1%", 0, 1);
        check_percent("50%", 0, 50);
        check_percent("100%", 0, 100);
        check_percent("0%", -ERANGE, 0);
        check_percent("101%", -ERANGE, 0);
        check_percent("99999999999999999999999%", -ERANGE, 0);
        check_percent("50", -EINVAL, 0);
        check_percent("%", -EINVAL, 0);
        check_percent("", -EINVAL, 0);
        check_percent("-5%", -EINVAL, 0);
        check_percent("5.5%", -EINVAL, 0);
        check_percent("5%%", -EINVAL, 0);
        check_percent("5 %", -EINVAL, 0);
        check_percent("1G", -EINVAL, 0);

        /* format_size */
        check_format(0, "0B");
        check_format(512, "512B");
        check_format(1023, "1023B");
        check_format(1024, "1.0K");
        check_format(1536, "1.5K");
        check_format(256ULL << 20, "256.0M");
        check_format(3ULL << 29, "1.5G");
        check_format((1ULL << 30) - 1, "1023.9M");
        check_format(20ULL << 30, "20.0G");
        check_format(5ULL << 40, "5.0T");
        check_format(7ULL << 50, "7.0P");
        check_format(1ULL << 60, "1.0E");
        check_format(UINT64_MAX, "15.9E");
        tap_ok(strcmp(format_size(small, sizeof(small), 256ULL << 20), "256") == 0,
               "format_size truncates into a small buffer");
        tap_ok(format_size(small, 0, 1) == NULL, "format_size with size 0 gives NULL");

        /* parse and format agree */
        {
                uint64_t v = 0;
                char buf[FORMAT_SIZE_MAX];

                tap_ok(parse_size(format_size(buf, sizeof(buf), 3ULL << 29), &v) == 0 && v == 3ULL << 29,
                       "parse_size(format_size(1.5G)) round trips");
        }

        return tap_done();
}
