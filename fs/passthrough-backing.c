/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel FUSE passthrough, the part both libfuse variants share: whether it
 * is on, and backing ids. A backing id comes from FUSE_DEV_IOC_BACKING_OPEN
 * on the session's device fd with a file of the backing filesystem; ids
 * belong to the connection, so the master fd serves every cloned worker fd
 * as well. The ioctls are called directly, also with libfuse >= 3.17:
 * fuse_passthrough_open/close() need a request, and Detach closes ids with
 * none at hand. Constants from the kernel's include/uapi/linux/fuse.h. */

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

#include "front.h"
#include "log.h"

struct k_fuse_backing_map {
        int32_t fd;
        uint32_t flags;
        uint64_t padding;
};

#define K_FUSE_DEV_IOC_MAGIC 229
#define K_FUSE_DEV_IOC_BACKING_OPEN _IOW(K_FUSE_DEV_IOC_MAGIC, 1, struct k_fuse_backing_map)
#define K_FUSE_DEV_IOC_BACKING_CLOSE _IOW(K_FUSE_DEV_IOC_MAGIC, 2, uint32_t)

static bool wanted; /* set before the session starts */
static int dev_fd = -1;
static atomic_bool refused; /* the kernel said no once: serve data ourselves */

void passthrough_state_init(int fd, bool want) {
        dev_fd = fd;
        wanted = want;
}

void passthrough_refuse(const char *why) {
        if (!atomic_exchange(&refused, true))
                log_warning("kernel FUSE passthrough unavailable (%s): homefsd serves file data itself", why);
}

bool passthrough_enabled(void) {
        return wanted && !refused;
}

int passthrough_backing_open(int fd) {
        struct k_fuse_backing_map map = { .fd = fd };
        int id;

        if (!passthrough_enabled())
                return -EOPNOTSUPP;
        id = ioctl(dev_fd, K_FUSE_DEV_IOC_BACKING_OPEN, &map);
        if (id > 0)
                return id;
        if (id == 0)
                errno = EPROTO;
        /* Not negotiated (EOPNOTSUPP), not allowed (EPERM), unknown ioctl
         * (ENOTTY), or a backing file that cannot be stacked (EINVAL): that
         * will not change, so stop trying. ENOMEM and friends may. */
        if (passthrough_refusal(errno))
                passthrough_refuse(strerror(errno));
        return negative_errno();
}

void passthrough_backing_close(int id) {
        uint32_t i = (uint32_t) id;

        if (ioctl(dev_fd, K_FUSE_DEV_IOC_BACKING_CLOSE, &i) < 0)
                log_warning_errno(errno, "cannot close backing id %d: %m", id);
}
