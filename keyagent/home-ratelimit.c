/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A home's failed-attempt rate limit (ratelimit.h): the record's burst and
 * interval, the count kept across restarts (ratelimit-store.c). Whatever
 * checks a credential (unlock, passwd, the unlock methods, enrollment)
 * counts through here; it sits below all of them and calls none. */
#include "home-ops.h"
#include "ratelimit.h"
#include "time-util.h"

/* The record's limits, and the failures counted before the agent started. */
static struct ratelimit *home_ratelimit(struct home *h) {
        ratelimit_configure(&h->ratelimit, h->record->rate_limit_burst, h->record->rate_limit_interval_usec);
        if (!h->ratelimit.loaded)
                (void) ratelimit_load(&h->ratelimit, h->user_name);
        return &h->ratelimit;
}

bool home_ratelimit_check(struct home *h, uint64_t *ret_retry_after_usec) {
        return ratelimit_check(home_ratelimit(h), now_usec(), ret_retry_after_usec);
}

void home_note_failed_attempt(struct home *h) {
        ratelimit_failed(home_ratelimit(h), now_usec());
        (void) ratelimit_save(&h->ratelimit, h->user_name);
}

void home_note_good_attempt(struct home *h) {
        bool had_failures = home_ratelimit(h)->failures > 0 || h->ratelimit.window_usec != 0;

        ratelimit_succeeded(&h->ratelimit);
        if (had_failures)
                (void) ratelimit_save(&h->ratelimit, h->user_name);
}
