/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A progress line for long agent calls (create: PBKDF benchmark, mkfs;
 * resize: fsck, resize2fs): the label and the seconds elapsed, redrawn on
 * the terminal, erased at the end. Silent when stderr is not a terminal. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "homefsctl.h"

static struct {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        pthread_t thread;
        bool running, stop;
        const char *label;
} p = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void *progress_thread(void *arg) {
        static const char spinner[] = "|/-\\";
        struct timespec start, deadline;
        unsigned tick = 0;

        clock_gettime(CLOCK_REALTIME, &start);
        pthread_mutex_lock(&p.lock);
        while (!p.stop) {
                fprintf(stderr, "\r%c %s... %u s", spinner[tick % 4], p.label, tick / 4);
                fflush(stderr);
                tick++;
                deadline = start;
                deadline.tv_nsec += (long) tick * 250000000L;
                deadline.tv_sec += deadline.tv_nsec / 1000000000L;
                deadline.tv_nsec %= 1000000000L;
                pthread_cond_timedwait(&p.cond, &p.lock, &deadline);
        }
        fputs("\r\033[K", stderr);
        fflush(stderr);
        pthread_mutex_unlock(&p.lock);
        return NULL;
}

void progress_begin(const char *label) {
        if (p.running || !isatty(STDERR_FILENO))
                return;
        p.label = label;
        p.stop = false;
        p.running = pthread_create(&p.thread, NULL, progress_thread, NULL) == 0;
}

void progress_end(void) {
        if (!p.running)
                return;
        pthread_mutex_lock(&p.lock);
        p.stop = true;
        pthread_cond_signal(&p.cond);
        pthread_mutex_unlock(&p.lock);
        pthread_join(p.thread, NULL);
        p.running = false;
}
