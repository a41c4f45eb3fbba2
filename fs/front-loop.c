/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* homefsd's FUSE loop and its end. libfuse's multi-threaded loop runs on
 * the main thread; whatever decides that homefsd ends (a signal, the agent
 * link in front-agent.c) asks here, from any thread, and main then
 * unmounts and exits with the status asked for. */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "front.h"

static pthread_t main_thread;
static atomic_bool loop_done;
static atomic_int exit_status = EXIT_SUCCESS;

void front_loop_prepare(void) {
        main_thread = pthread_self();
}

int front_loop_run(struct fuse_session *se, unsigned max_threads) {
        struct fuse_loop_config *cfg = fuse_loop_cfg_create();
        int r;

        if (!cfg)
                return -ENOMEM;
        fuse_loop_cfg_set_clone_fd(cfg, 1);
        fuse_loop_cfg_set_max_threads(cfg, max_threads);
        r = fuse_session_loop_mt(se, cfg);
        loop_done = true;
        fuse_loop_cfg_destroy(cfg);
        return r;
}

void front_request_exit(int status) {
        if (status != EXIT_SUCCESS)
                exit_status = status;
        fuse_session_exit(front.se);
        /* The loop's main thread sleeps in sem_wait() and checks for exit
         * only when woken; keep knocking until it has returned (a single
         * signal could arrive just before it goes to sleep). */
        while (!loop_done) {
                pthread_kill(main_thread, SIGRTMIN);
                usleep(100 * 1000);
        }
}

int front_exit_status(void) {
        return exit_status;
}
