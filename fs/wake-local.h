/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Waking a FUSE caller on its own CPU: an io_uring queue thread commits its
 * replies at SCHED_IDLE where that is safe (wake-local.c says why). */

#include <stdbool.h>
#include <stdint.h>

struct wake_local {
        bool on;         /* this thread may commit at SCHED_IDLE */
        int loadavg_fd;  /* /proc/loadavg, read before each commit */
};

/* Process-wide switch, before the queue threads start (--no-local-wake). */
void wake_local_allow(bool allow);
/* On the queue thread itself, before it serves: whether the thread can go
 * to SCHED_IDLE and back (CAP_SYS_NICE or RLIMIT_NICE), and its fd. */
void wake_local_setup(struct wake_local *w);
void wake_local_close(struct wake_local *w);
/* Around the submit that commits replies: begin() returns whether the
 * thread went to SCHED_IDLE; end() takes that and returns it to
 * SCHED_OTHER. */
bool wake_local_begin(struct wake_local *w);
void wake_local_end(struct wake_local *w, bool began);

/* For the stats file: the queue threads that may commit at SCHED_IDLE,
 * their commits at SCHED_IDLE, and their commits at normal priority
 * because another task was runnable. */
void wake_local_counts(unsigned *threads, uint64_t *local, uint64_t *busy);

/* The runnable-task count in a /proc/loadavg text ("0.29 0.54 1.06 2/99
 * 3091"), or -1 if the text is not of that form. */
int loadavg_runnable(const char *text);
