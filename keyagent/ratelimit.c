/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ratelimit.h"

static void refill(struct ratelimit *rl, uint64_t now) {
        uint64_t earned;

        if (!rl->initialized) {
                rl->tokens = RATELIMIT_BURST;
                rl->last_usec = now;
                rl->initialized = true;
                return;
        }
        if (now < rl->last_usec) /* clock went back: start the interval again */
                rl->last_usec = now;
        earned = (now - rl->last_usec) / RATELIMIT_INTERVAL_USEC;
        if (earned == 0)
                return;
        if (rl->tokens + earned >= RATELIMIT_BURST) {
                rl->tokens = RATELIMIT_BURST;
                rl->last_usec = now;
        } else {
                rl->tokens += (unsigned) earned;
                rl->last_usec += earned * RATELIMIT_INTERVAL_USEC;
        }
}

bool ratelimit_check(struct ratelimit *rl, uint64_t now, uint64_t *retry_after_usec) {
        refill(rl, now);
        if (rl->tokens > 0)
                return true;
        *retry_after_usec = rl->last_usec + RATELIMIT_INTERVAL_USEC - now;
        return false;
}

void ratelimit_failed(struct ratelimit *rl, uint64_t now) {
        refill(rl, now);
        if (rl->tokens == RATELIMIT_BURST)
                rl->last_usec = now; /* the interval starts with the first spent attempt */
        if (rl->tokens > 0)
                rl->tokens--;
}

void ratelimit_succeeded(struct ratelimit *rl) {
        rl->tokens = RATELIMIT_BURST;
        rl->initialized = true;
}
