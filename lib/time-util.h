/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* Wall-clock time in µs since the epoch: what records (notBeforeUSec,
 * lastChangeUSec, ...) and rate limits store. */
uint64_t now_usec(void);

/* Monotonic time in ms, for timeouts that must not jump with the clock. */
uint64_t now_monotonic_msec(void);
