/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A minimal TAP producer for the unit tests. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void tap_plan(int n);                          /* 0: plan printed at tap_done() */
bool tap_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int tap_done(void);                            /* exit status: 0 if all passed */

static inline bool tap_eq_int(long long got, long long want, const char *name) {
        return tap_ok(got == want, "%s (got %lld, want %lld)", name, got, want);
}
#define TAP_EQ_INT(a, b, name) tap_eq_int((long long) (a), (long long) (b), name)

/* A parser int f(const char *s, T *ret) on s: returns want_r; on success
 * *ret is want, on failure *ret is left untouched. */
bool tap_parse_u64(int (*f)(const char *, uint64_t *), const char *name, const char *s, int want_r, uint64_t want);
bool tap_parse_unsigned(int (*f)(const char *, unsigned *), const char *name, const char *s, int want_r, unsigned want);

/* The first max bytes of a file, NUL-terminated (malloc'ed; NULL if it
 * cannot be read); its length in *ret_len. */
char *tap_read_file(const char *path, size_t max, size_t *ret_len);
