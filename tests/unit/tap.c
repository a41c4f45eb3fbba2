/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "tap.h"

static int tap_planned, tap_count, tap_failed;

void tap_plan(int n) {
        tap_planned = n;
        if (n > 0)
                printf("1..%d\n", n);
}

bool tap_ok(bool cond, const char *fmt, ...) {
        va_list ap;

        tap_count++;
        if (!cond)
                tap_failed++;
        printf("%s %d - ", cond ? "ok" : "not ok", tap_count);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
        return cond;
}

void tap_diag(const char *fmt, ...) {
        va_list ap;

        printf("# ");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
}

int tap_done(void) {
        if (tap_planned <= 0)
                printf("1..%d\n", tap_count);
        else if (tap_planned != tap_count) {
                printf("# planned %d tests but ran %d\n", tap_planned, tap_count);
                return 1;
        }
        if (tap_count == 0) {
                printf("# no tests ran\n");
                return 1;
        }
        return tap_failed ? 1 : 0;
}

char *tap_read_file(const char *path, size_t max, size_t *ret_len) {
        FILE *f = fopen(path, "re");
        char *buf;
        size_t n;

        if (!f)
                return NULL;
        buf = calloc(1, max + 1);
        n = buf ? fread(buf, 1, max, f) : 0;
        fclose(f);
        *ret_len = n;
        return buf;
}

#define UNTOUCHED_U64 0xdeadbeefULL
#define UNTOUCHED_UNSIGNED 777U

bool tap_parse_u64(int (*f)(const char *, uint64_t *), const char *name, const char *s, int want_r, uint64_t want) {
        uint64_t v = UNTOUCHED_U64;
        int r = f(s, &v);

        if (want_r < 0)
                return tap_ok(r == want_r && v == UNTOUCHED_U64, "%s(\"%s\") fails with %d (got %d)", name, s, want_r, r);
        return tap_ok(r == 0 && v == want, "%s(\"%s\") = %" PRIu64 " (got %d, %" PRIu64 ")", name, s, want, r, v);
}

bool tap_parse_unsigned(int (*f)(const char *, unsigned *), const char *name, const char *s, int want_r, unsigned want) {
        unsigned v = UNTOUCHED_UNSIGNED;
        int r = f(s, &v);

        if (want_r < 0)
                return tap_ok(r == want_r && v == UNTOUCHED_UNSIGNED, "%s(\"%s\") fails with %d (got %d)", name, s, want_r, r);
        return tap_ok(r == 0 && v == want, "%s(\"%s\") = %u (got %d, %u)", name, s, want, r, v);
}
