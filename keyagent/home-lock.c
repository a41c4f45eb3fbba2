/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Lock with sessions kept (systemd-homed's "lock"): the home stays mounted,
 * its open files and the processes using it survive, the volume key is
 * wiped. Unlock gives the key back and everything goes on.
 *
 * Lock: freeze the user's cgroup → the front holds new requests (after
 * those in flight) → syncfs → optionally drop the page cache → the engine
 * wipes its key and holds its I/O. Resume: the credential opens a keyslot →
 * the engine gets the key back → the front releases → thaw. Deactivating a
 * locked home first makes the engine fail held I/O with EIO
 * (home_lock_abandon), then tears down as always. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent-config.h"
#include "backing.h"
#include "file-util.h"
#include "freeze.h"
#include "front.h"
#include "home-ops.h"
#include "log.h"
#include "secret.h"
#include "spool.h"
#include "time-util.h"

#define FREEZE_TIMEOUT_MS 5000

static void home_freeze(struct home *h) {
        char cg[PATH_MAX];
        int r;

        r = freeze_cgroup(h->record->uid, h->user_name, cg, sizeof(cg));
        if (r < 0) {
                log_warning("no cgroup holds the sessions of %s (neither systemd's user-%u.slice nor the agent's own): "
                            "its processes are not frozen while locked", h->user_name, (unsigned) h->record->uid);
                return;
        }
        r = freeze_set(cg, true, FREEZE_TIMEOUT_MS);
        if (r == -ETIME)
                log_warning("not every process of %s stopped within %d ms (%s); locking anyway",
                            h->user_name, FREEZE_TIMEOUT_MS, cg);
        else if (r < 0)
                return;
        h->frozen_cgroup = strdup(cg);
        if (!h->frozen_cgroup) {
                (void) freeze_set(cg, false, 0);
                return;
        }
        h->frozen = r == 0; /* not before: a failed strdup thaws, and LockAll then says notFrozen */
}

static void home_thaw(struct home *h) {
        if (!h->frozen_cgroup)
                return;
        (void) freeze_set(h->frozen_cgroup, false, 0);
        free(h->frozen_cgroup);
        h->frozen_cgroup = NULL;
        h->frozen = false;
}

/* Clean page cache of every filesystem (the kernel has no per-filesystem
 * knob): the home's file contents no longer stay in memory while locked.
 * Pages mapped by processes stay. */
static void drop_page_cache(void) {
        _cleanup_close_ int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);

        if (fd < 0 || write_all(fd, "1", 1) < 0)
                log_warning_errno(fd < 0 ? -errno : -EIO, "cannot drop the page cache at lock: %m");
}

int home_lock(struct home *h, struct agent_error *e) {
        uint64_t start = now_monotonic_msec();
        int r;

        if (!h->activated)
                return agent_error_set(e, -ENOKEY, AGENT_ERROR_FAILED,
                                       "The home of %s is not active; there is nothing to lock.", h->user_name);
        if (h->activation.suspended)
                return 0;
        home_freeze(h);
        r = front_hold(h);
        if (r < 0) {
                home_thaw(h);
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "homefsd for %s could not hold its requests: %s.",
                                       h->user_name, strerror(-r));
        }
        r = backing_sync(h->mount_fd);
        if (r >= 0 && h->config->lock_drop_caches)
                drop_page_cache();
        if (r >= 0)
                r = activation_suspend(&h->activation);
        if (r < 0) {
                (void) front_release(h);
                home_thaw(h);
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Locking %s failed: %s; it stays active.",
                                       h->user_name, strerror(-r));
        }
        log_info("locked %s, sessions kept (%llu ms)", h->user_name, (unsigned long long) (now_monotonic_msec() - start));
        return 0;
}

int home_resume(struct home *h, const void *key, size_t key_size, struct agent_error *e) {
        uint64_t start = now_monotonic_msec();
        int r;

        r = activation_resume(&h->activation, key, key_size);
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Giving the key of %s back failed: %s.",
                                       h->user_name, strerror(-r));
        r = front_release(h);
        if (r < 0)
                log_warning_errno(r, "homefsd for %s did not release its held requests: %m", h->user_name);
        home_thaw(h);
        spool_run_after_unlock(h); /* jobs queued while it was locked */
        log_info("resumed %s (%llu ms)", h->user_name, (unsigned long long) (now_monotonic_msec() - start));
        return 0;
}

void home_lock_abandon(struct home *h) {
        if (!h->activation.suspended) {
                home_thaw(h);
                return;
        }
        log_info("deactivating the locked home %s: held requests fail with EIO", h->user_name);
        if (activation_fail_held(&h->activation) < 0)
                log_warning("the engine of %s did not fail its held requests; the teardown kills it", h->user_name);
        h->activation.suspended = false;
        home_thaw(h);
}
