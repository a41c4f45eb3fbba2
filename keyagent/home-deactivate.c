/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Deactivate: the front detaches, the backing filesystem is synced and shut
 * down, the activation stopped, the key gone (docs/architecture.md, "Lock
 * order"). home_teardown() is the part without the front, for a front that
 * is already gone (home-front.c). */
#include <errno.h>

#include "backing.h"
#include "flush-watchdog.h"
#include "freeze.h"
#include "front.h"
#include "home-ops.h"
#include "log.h"

void home_teardown(struct home *h) {
        struct flush_watchdog w;
        bool armed = false;

        home_lock_abandon(h);
        if (h->mount_fd >= 0) {
                if (h->activation.cryptdev_pid > 0)
                        armed = flush_watchdog_arm(&w, h->activation.cryptdev_pid, h->config->front_timeout_sec,
                                                   h->user_name) >= 0;
                (void) backing_shutdown(h->mount_fd);
                if (armed)
                        (void) flush_watchdog_disarm(&w);
                h->mount_fd = safe_close(h->mount_fd);
        }
        (void) activation_stop(&h->activation);
        h->activated = false;
        /* A deactivation ends every login session: those taken before it
         * neither count after the next activation nor deactivate the home
         * when they end. (Lock with sessions kept does not come here.) */
        h->n_sessions = 0;
        h->n_sessions_awake = 0;
        h->activation_generation++;
}

int home_deactivate(struct home *h, struct agent_error *e) {
        int r;

        if (!h->activated)
                return 0;
        home_lock_abandon(h); /* before Detach: held requests must not wait for a key */
        r = front_detach(h);
        if (r < 0 && r != -ENOTCONN)
                log_warning_errno(r, "homefsd for %s did not detach cleanly; deactivating anyway", h->user_name);
        home_teardown(h); /* ends every session too */
        freeze_forget(h->user_name);
        log_info("deactivated %s", h->user_name);
        return 0;
}
