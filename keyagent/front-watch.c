/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>

#include "front-watch.h"
#include "front.h"
#include "home-ops.h"
#include "log.h"
#include "recover.h"
#include "registry.h"

static atomic_bool stopping;

/* Dead, but not reaped: cryptdev_stop() reaps it, as for a clean stop. */
static bool cryptdev_died(const struct home *h) {
        siginfo_t si = {};
        pid_t pid = h->activation.cryptdev_pid;

        if (pid <= 0)
                return false;
        return waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG | WNOWAIT) >= 0 && si.si_pid == pid;
}

/* The front hung up (noticed here, or by whoever looked at the state
 * first). A homefsd that crashed leaves a dead mount: replace it. One that
 * exited cleanly unmounted first (an administrator's umount): respect that.
 * A mount that still looks alive may be a dying daemon: look again. */
static void front_gone(struct home *h) {
        const char *path = h->record->home_directory;

        if (recover_mount_is_dead(path)) {
                log_warning("homefsd of %s died; starting a new one", h->user_name);
                h->front_lost = false;
                (void) front_ensure(h);
        } else if (recover_front_mount(path) == 0) {
                log_info("homefsd of %s exited; %s is not served until it is started again", h->user_name, path);
                h->front_lost = false;
        }
}

/* Called with the home's lock held. */
static void watch_home(struct home *h) {
        struct agent_error e = {};

        if (h->removed || atomic_load(&stopping))
                return;
        if (h->unlocked && cryptdev_died(h)) {
                log_error("homefs-cryptdev of %s died; locking the home (unlock again to go on; data fsynced before is safe)",
                          h->user_name);
                (void) home_lock(h, &e);
        }
        /* A full host fails the engine's writes: lock while what was
         * written is intact, rather than leave the filesystem erroring. */
        if (h->unlocked && activation_host_full(&h->activation)) {
                log_error("the host filesystem holding the image of %s is full; locking the home (what was written "
                          "before is kept; free space on the host, then unlock again)", h->user_name);
                (void) home_lock(h, &e);
        }
        if (home_check_front(h))
                return;
        if (h->front_lost)
                front_gone(h);
}

static void *watch_thread(void *userdata) {
        const struct timespec interval = { 0, FRONT_WATCH_INTERVAL_MS * 1000000L };

        while (!atomic_load(&stopping)) {
                struct home **homes;
                size_t n;

                nanosleep(&interval, NULL);
                if (registry_list(&homes, &n) < 0)
                        continue;
                for (size_t i = 0; i < n; i++) {
                        /* A home in a transition is looked at next time. */
                        if (pthread_mutex_trylock(&homes[i]->lock) != 0)
                                continue;
                        watch_home(homes[i]);
                        pthread_mutex_unlock(&homes[i]->lock);
                }
                registry_list_free(homes, n);
        }
        return NULL;
}

int front_watch_start(void) {
        pthread_t t;
        int r = pthread_create(&t, NULL, watch_thread, NULL);

        if (r != 0)
                return log_error_errno(-r, "cannot start the front watcher: %m");
        pthread_detach(t);
        return 0;
}

void front_watch_stop(void) {
        atomic_store(&stopping, true);
}
