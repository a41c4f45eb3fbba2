/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <time.h>

#include "flush-watchdog.h"
#include "log.h"

static void *watch(void *userdata) {
        struct flush_watchdog *w = userdata;
        struct timespec deadline;

        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += w->seconds;
        pthread_mutex_lock(&w->mutex);
        while (!w->done)
                if (pthread_cond_timedwait(&w->cond, &w->mutex, &deadline) == ETIMEDOUT)
                        break;
        if (!w->done) {
                w->fired = true;
                log_error("the filesystem of %s did not flush within %u s: homefs-cryptdev (pid %d) is stuck; "
                          "killing it so that the lock completes (data not yet written is lost)",
                          w->user_name, w->seconds, (int) w->pid);
                (void) kill(w->pid, SIGKILL);
        }
        pthread_mutex_unlock(&w->mutex);
        return NULL;
}

int flush_watchdog_arm(struct flush_watchdog *w, pid_t pid, unsigned seconds, const char *user_name) {
        pthread_condattr_t attr;
        int r;

        *w = (struct flush_watchdog) { .pid = pid, .seconds = seconds, .user_name = user_name };
        pthread_mutex_init(&w->mutex, NULL);
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&w->cond, &attr);
        pthread_condattr_destroy(&attr);
        r = pthread_create(&w->thread, NULL, watch, w);
        if (r != 0) {
                pthread_cond_destroy(&w->cond);
                pthread_mutex_destroy(&w->mutex);
                return log_warning_errno(-r, "cannot start the flush watchdog: %m");
        }
        return 0;
}

bool flush_watchdog_disarm(struct flush_watchdog *w) {
        pthread_mutex_lock(&w->mutex);
        w->done = true;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->mutex);
        pthread_join(w->thread, NULL);
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->mutex);
        return w->fired;
}
