/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Failed-unlock limiter, one per home, with systemd-homed's semantics: at most
 * `burst` failed attempts within a window of `interval_usec` that begins with
 * the first failure; when they are spent, attempts are refused until the
 * window ends. A successful unlock starts afresh. Checked BEFORE the
 * expensive PBKDF, so guessing costs the attacker time, not the host CPU.
 * Times are CLOCK_REALTIME µs, so the state can be kept across restarts
 * (ratelimit-store.c). */

#define RATELIMIT_BURST_DEFAULT 10U
#define RATELIMIT_INTERVAL_USEC_DEFAULT (60ULL * 1000000ULL)

struct ratelimit {
        unsigned burst;          /* 0: RATELIMIT_BURST_DEFAULT */
        uint64_t interval_usec;  /* 0: RATELIMIT_INTERVAL_USEC_DEFAULT */
        unsigned failures;       /* failed attempts in the current window */
        uint64_t window_usec;    /* when the current window began */
        bool loaded;             /* the stored state was read */
};

/* Set burst and interval (0 for the defaults); keeps the counted failures. */
void ratelimit_configure(struct ratelimit *rl, unsigned burst, uint64_t interval_usec);

/* May an attempt be made at time now? If not, *retry_after_usec says when. */
bool ratelimit_check(struct ratelimit *rl, uint64_t now_usec, uint64_t *retry_after_usec);
void ratelimit_failed(struct ratelimit *rl, uint64_t now_usec);
void ratelimit_succeeded(struct ratelimit *rl);

/* The stored state, $HOMEFS_STATE_DIR/ratelimit/<user> (root-only, written
 * atomically). Load keeps the defaults when nothing is stored or the file is
 * unreadable; save logs its failure (an unsaved count only helps the user). */
int ratelimit_load(struct ratelimit *rl, const char *user_name);
int ratelimit_save(const struct ratelimit *rl, const char *user_name);
int ratelimit_forget(const char *user_name);
