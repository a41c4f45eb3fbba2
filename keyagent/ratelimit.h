/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Failed-unlock limiter, one per home: a bucket of RATELIMIT_BURST attempts,
 * one attempt earned back every RATELIMIT_INTERVAL_USEC. A failed attempt
 * spends one; a successful one refills the bucket. Checked BEFORE the
 * expensive PBKDF, so guessing costs the attacker time, not the host CPU. */

#define RATELIMIT_BURST 5U
#define RATELIMIT_INTERVAL_USEC (30ULL * 1000000ULL)

struct ratelimit {
        unsigned tokens;       /* attempts left; valid once initialized */
        uint64_t last_usec;    /* when tokens was last brought up to date */
        bool initialized;
};

/* May an attempt be made at time now? If not, *retry_after_usec says when. */
bool ratelimit_check(struct ratelimit *rl, uint64_t now_usec, uint64_t *retry_after_usec);
void ratelimit_failed(struct ratelimit *rl, uint64_t now_usec);
void ratelimit_succeeded(struct ratelimit *rl);
