/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accounts.h"
#include "front.h"
#include "home-ops.h"
#include "home-paths.h"
#include "log.h"
#include "registry.h"
#include "spool.h"

#define RMDIR_TRIES 50 /* × 100 ms */

/* Remove path (below its checked parent's fd): -errno, or -EPERM with e
 * filled when a directory above it is not root's alone. */
static int remove_at(const char *what, const char *path, int flags, struct agent_error *e) {
        const char *name;
        _cleanup_close_ int dir_fd = home_path_parent(what, path, &name, e);

        if (dir_fd < 0)
                return dir_fd;
        for (int i = 0; i < RMDIR_TRIES; i++) {
                if (unlinkat(dir_fd, name, flags) == 0 || errno == ENOENT)
                        return 0;
                /* homefsd unmounts after it answered Terminate. */
                if (errno != EBUSY)
                        break;
                nanosleep(&(struct timespec) { .tv_nsec = 100 * 1000 * 1000 }, NULL);
        }
        return agent_error_set(e, -errno, AGENT_ERROR_FAILED, "Cannot remove the %s %s: %m.", what, path);
}

int home_remove(struct home *h, bool force, struct agent_error *e) {
        char runtime[PATH_MAX];
        int r;

        if (h->unlocked && !force)
                return agent_error_set(e, -EBUSY, AGENT_ERROR_HOME_BUSY,
                                       "The home of %s is unlocked; lock it first, or pass --force.", h->user_name);
        r = home_lock(h, e);
        if (r < 0)
                return r;
        if (h->front)
                (void) front_terminate(h);
        {
                struct agent_error ignored = {};

                if (remove_at("home directory", h->record->home_directory, AT_REMOVEDIR, &ignored) < 0)
                        log_warning("leaving the mountpoint in place: %s", ignored.message);
        }
        r = remove_at("image", h->record->image_path, 0, e);
        if (r < 0)
                return r;
        r = accounts_remove(h->user_name);
        if (r < 0)
                log_warning_errno(r, "removing the passwd/group entries of %s failed; remove them with userdel", h->user_name);
        r = user_record_delete(registry_records_fd(), h->user_name);
        if (r < 0 && r != -ENOENT)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Cannot remove the record of %s: %s.", h->user_name, strerror(-r));
        (void) ratelimit_forget(h->user_name);
        /* Queued jobs must not wait for the next user given this name. */
        r = spool_forget(h->user_name);
        if (r < 0)
                log_warning_errno(r, "removing the job queue of %s failed: %m", h->user_name);
        if (home_runtime_dir(h, runtime, sizeof(runtime)) >= 0)
                (void) rmdir(runtime);
        registry_remove(h);
        log_info("removed home of %s", h->user_name);
        return 0;
}
