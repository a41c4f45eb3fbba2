/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

/* Lock must return even when the crypto engine hangs (stopped, stuck in its
 * own I/O): a flush waiting on it forever would hold the home's lock forever
 * and the caller would never hear back. While armed, the watchdog kills the
 * engine (SIGKILL, which also ends a stopped process) once the flush has
 * taken longer than its bound; the pending I/O then fails with EIO and the
 * teardown goes on. What was not yet written is lost, and the log says so. */

struct flush_watchdog {
        pthread_t thread;
        pthread_mutex_t mutex;
        pthread_cond_t cond;
        bool done;
        bool fired;
        pid_t pid;
        unsigned seconds;
        const char *user_name;
};

/* pid: the engine, a child not yet reaped (so the pid cannot be reused). */
int flush_watchdog_arm(struct flush_watchdog *w, pid_t pid, unsigned seconds, const char *user_name);

/* Stop watching; true if the engine had to be killed. */
bool flush_watchdog_disarm(struct flush_watchdog *w);
