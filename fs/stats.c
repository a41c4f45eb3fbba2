/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Request counters. They prove that kernel passthrough keeps data off
 * homefsd (READ and WRITE stay 0 for passthrough files) and show what
 * metadata round trips a workload costs. Relaxed atomics: one uncontended
 * cache line per counter would be better, but they are cheap next to a
 * FUSE round trip. */

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "front.h"
#include "log.h"
#include "macro.h"
#include "uring.h"
#include "wake-local.h"

static atomic_uint_fast64_t counters[_STAT_MAX];

static const char *const names[_STAT_MAX] = {
        [STAT_LOOKUP] = "lookup",
        [STAT_GETATTR] = "getattr",
        [STAT_SETATTR] = "setattr",
        [STAT_GETXATTR] = "getxattr",
        [STAT_OPEN] = "open",
        [STAT_OPEN_PASSTHROUGH] = "open_passthrough",
        [STAT_CREATE] = "create",
        [STAT_READ] = "read",
        [STAT_WRITE] = "write",
        [STAT_RELEASE] = "release",
        [STAT_FSYNC] = "fsync",
        [STAT_READDIR] = "readdir",
        [STAT_READDIRPLUS] = "readdirplus",
        [STAT_FORGET] = "forget",
        [STAT_MKNOD] = "mknod",
        [STAT_MKDIR] = "mkdir",
        [STAT_SYMLINK] = "symlink",
        [STAT_LINK] = "link",
        [STAT_UNLINK] = "unlink",
        [STAT_RMDIR] = "rmdir",
        [STAT_RENAME] = "rename",
        [STAT_READLINK] = "readlink",
        [STAT_STATFS] = "statfs",
        [STAT_OPENDIR] = "opendir",
        [STAT_RELEASEDIR] = "releasedir",
        [STAT_FSYNCDIR] = "fsyncdir",
        [STAT_SETXATTR] = "setxattr",
        [STAT_LISTXATTR] = "listxattr",
        [STAT_REMOVEXATTR] = "removexattr",
        [STAT_FALLOCATE] = "fallocate",
        [STAT_LSEEK] = "lseek",
        [STAT_COPY_FILE_RANGE] = "copy_file_range",
};

void stat_inc(enum stat_counter c) {
        atomic_fetch_add_explicit(&counters[c], 1, memory_order_relaxed);
}

int stats_write(const char *path) {
        char tmp[4096];
        struct wake_local_stats wl;
        FILE *f;
        int fd, r;

        r = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        if (r < 0 || (size_t) r >= sizeof(tmp))
                return log_error_errno(ENAMETOOLONG, "stats path too long: %s", path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return log_error_errno(errno, "cannot write %s: %m", tmp);
        f = fdopen(fd, "w");
        if (!f) {
                safe_close(fd);
                return log_error_errno(errno, "cannot write %s: %m", tmp);
        }
        fprintf(f, "passthrough %d\n", passthrough_enabled());
        fprintf(f, "transport %s\n", transport_name(uring_transport()));
        fprintf(f, "uring_requests %ju\n", (uintmax_t) uring_requests());
        wake_local_counts(&wl);
        fprintf(f, "local_wake_threads %u\nlocal_wake_hops %ju\nlocal_wakes %ju\nlocal_wakes_busy %ju\n",
                wl.threads, (uintmax_t) wl.hops, (uintmax_t) wl.local, (uintmax_t) wl.busy);
        /* Gauges, not counters: inodes the kernel holds, fds cached. */
        fprintf(f, "inodes %zu\ncached_fds %zu\n", inode_table_count(), fdcache_count());
        for (size_t k = 0; k < _STAT_MAX; k++)
                fprintf(f, "%s %ju\n", names[k],
                        (uintmax_t) atomic_load_explicit(&counters[k], memory_order_relaxed));
        r = fclose(f) == 0 ? 0 : -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(tmp);
                return log_error_errno(-r, "cannot write %s: %m", path);
        }
        return 0;
}
