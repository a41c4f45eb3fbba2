/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Waking a FUSE caller on its own CPU: an io_uring queue thread commits its
 * replies at SCHED_IDLE where that is safe (wake-local.c says why). */

#include <stdbool.h>
#include <stdint.h>

struct wake_local {
        bool on;         /* this thread may commit at SCHED_IDLE */
        bool active;     /* and its callers hop CPUs often enough to pay */
        unsigned qid;    /* its queue: the CPU it is pinned to */
        unsigned hops;   /* share of recent requests whose caller made its
                          * previous one on another CPU, in 1/65536 */
        int loadavg_fd;  /* /proc/loadavg, read before each commit */
};

/* Process-wide switch, before the queue threads start (--no-local-wake). */
void wake_local_allow(bool allow);
/* On the queue thread itself, before it serves: whether the thread can go
 * to SCHED_IDLE and back (CAP_SYS_NICE or RLIMIT_NICE), and its fd. */
void wake_local_setup(struct wake_local *w, unsigned qid);
/* Each request the queue serves, with its caller's thread id. */
void wake_local_note(struct wake_local *w, uint32_t pid);
void wake_local_close(struct wake_local *w);
/* Around the submit that commits replies: begin() returns whether the
 * thread went to SCHED_IDLE; only then, end() returns it to SCHED_OTHER. */
bool wake_local_begin(struct wake_local *w);
void wake_local_end(struct wake_local *w);

/* For the stats file. */
struct wake_local_stats {
        unsigned threads; /* queue threads that may commit at SCHED_IDLE */
        uint64_t hops;    /* requests whose caller's previous one was on another CPU */
        uint64_t local;   /* commits at SCHED_IDLE */
        uint64_t busy;    /* commits at normal priority: another task was runnable */
};
void wake_local_counts(struct wake_local_stats *s);

/* The runnable-task count in a /proc/loadavg text ("0.29 0.54 1.06 2/99
 * 3091"), or -1 if the text is not of that form. */
int loadavg_runnable(const char *text);
