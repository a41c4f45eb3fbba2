/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ratelimit.h"

static unsigned burst(const struct ratelimit *rl) {
        return rl->burst ?: RATELIMIT_BURST_DEFAULT;
}

static uint64_t interval(const struct ratelimit *rl) {
        return rl->interval_usec ?: RATELIMIT_INTERVAL_USEC_DEFAULT;
}

void ratelimit_configure(struct ratelimit *rl, unsigned b, uint64_t interval_usec) {
        rl->burst = b;
        rl->interval_usec = interval_usec;
}

/* A window that has ended (or lies in the future: the clock went back)
 * counts nothing any more. */
static void expire(struct ratelimit *rl, uint64_t now) {
        if (rl->failures > 0 && (now < rl->window_usec || now - rl->window_usec >= interval(rl)))
                rl->failures = 0;
}

bool ratelimit_check(struct ratelimit *rl, uint64_t now, uint64_t *retry_after_usec) {
        expire(rl, now);
        if (rl->failures < burst(rl))
                return true;
        *retry_after_usec = rl->window_usec + interval(rl) - now;
        return false;
}

void ratelimit_failed(struct ratelimit *rl, uint64_t now) {
        expire(rl, now);
        if (rl->failures == 0)
                rl->window_usec = now; /* the window starts with the first failure */
        if (rl->failures < burst(rl))
                rl->failures++;
}

void ratelimit_succeeded(struct ratelimit *rl) {
        rl->failures = 0;
        rl->window_usec = 0;
}
