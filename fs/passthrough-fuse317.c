/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel FUSE passthrough on libfuse >= 3.17, which negotiates it itself
 * (FUSE_CAP_PASSTHROUGH) and puts fi->backing_id into OPEN/CREATE replies.
 * The counterpart of passthrough-fuse314.c (see there for what passthrough
 * is); meson builds one of the two.
 *
 * Backing ids are opened and closed with the device ioctls directly rather
 * than fuse_passthrough_open/close(): those need a request, and Detach
 * closes ids with none at hand. A libfuse this new comes with kernel
 * headers that define them. Not built on Debian 12; untested here. */

#include <errno.h>
#include <linux/fuse.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "front.h"
#include "log.h"

static bool wanted;
static int dev_fd = -1;
static atomic_bool refused;

int passthrough_session(struct fuse_session *se, bool want) {
        wanted = want;
        dev_fd = fuse_session_fd(se);
        return 0;
}

void passthrough_init(struct fuse_conn_info *conn) {
        if (!wanted)
                return;
        if (!(conn->capable & FUSE_CAP_PASSTHROUGH)) {
                log_warning("Kernel FUSE passthrough not offered by the kernel: homefsd serves file data itself.");
                refused = true;
                return;
        }
        conn->want |= FUSE_CAP_PASSTHROUGH;
        conn->max_backing_stack_depth = 1;
}

bool passthrough_enabled(void) {
        return wanted && !refused;
}

int passthrough_backing_open(int fd) {
        struct fuse_backing_map map = { .fd = fd };
        int id;

        if (!passthrough_enabled())
                return -EOPNOTSUPP;
        id = ioctl(dev_fd, FUSE_DEV_IOC_BACKING_OPEN, &map);
        if (id >= 0)
                return id;
        if (passthrough_refusal(errno) && !atomic_exchange(&refused, true))
                log_warning_errno(errno, "Kernel FUSE passthrough refused (%m): homefsd serves file data itself.");
        return -errno;
}

void passthrough_backing_close(int id) {
        uint32_t i = (uint32_t) id;

        if (ioctl(dev_fd, FUSE_DEV_IOC_BACKING_CLOSE, &i) < 0)
                log_warning_errno(errno, "Cannot close backing id %d: %m", id);
}

void passthrough_reply_with(struct fuse_file_info *fi, int id) {
        fi->backing_id = id;
}

void passthrough_reply_done(void) {
}
