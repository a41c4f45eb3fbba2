/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's switch for FUSE over io_uring (the fuse module parameter
 * enable_uring, kernel 6.14+, off by default). homefsd takes requests
 * through per-CPU io_uring queues only where it is on, and through
 * /dev/fuse otherwise. Turning it on changes nothing for other FUSE
 * daemons: the kernel only offers io_uring in INIT, and a connection uses
 * it only if the daemon's INIT reply asks for it and registers its queues.
 * So the agent turns it on at start (--no-fuse-io-uring: leave it alone)
 * and never turns it off again: a running homefsd's connection keeps
 * io_uring anyway, and a later one would lose it. */

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "macro.h"

#define ENABLE_URING "/sys/module/fuse/parameters/enable_uring"

int fuse_uring_enable(void) {
        _cleanup_close_ int fd = open(ENABLE_URING, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        char c = 0;

        if (fd < 0 && errno == ENOENT) {
                log_info("the kernel has no FUSE over io_uring (no %s): homefsd takes requests through /dev/fuse",
                         ENABLE_URING);
                return -ENOENT;
        }
        if (fd < 0 || pread(fd, &c, 1, 0) != 1)
                return log_warning_errno(errno, "cannot read %s (%m): homefsd takes requests through /dev/fuse",
                                         ENABLE_URING);
        if (c == 'Y')
                return 0;
        if (pwrite(fd, "Y", 1, 0) != 1)
                return log_warning_errno(errno, "cannot turn on FUSE over io_uring (%s: %m): homefsd takes requests through /dev/fuse",
                                         ENABLE_URING);
        log_info("turned on FUSE over io_uring (fuse module parameter enable_uring) for homefsd");
        return 1;
}
