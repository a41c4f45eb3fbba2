/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel FUSE passthrough on libfuse 3.14 (Debian 12).
 *
 * Why this file exists: the kernel (>= 6.9) can serve read, write, splice
 * and mmap of an open FUSE file straight from a backing file, without a
 * round trip to homefsd. libfuse learned to ask for that only in 3.17
 * (FUSE_CAP_PASSTHROUGH, fuse_passthrough_open); 3.14 knows neither the
 * INIT flag nor the open reply fields. So homefsd's own device I/O
 * (devio-fuse314.c) patches two kinds of replies on their way to the
 * kernel:
 *
 *  - INIT: FUSE_INIT_EXT, flags2 |= FUSE_PASSTHROUGH, max_stack_depth = 1
 *    (the backing ext4 is not stacked itself). Writeback cache stays off:
 *    the kernel refuses passthrough with it. Also FUSE_HANDLE_KILLPRIV_V2
 *    (killpriv.c), which 3.14 does not know either, with or without
 *    passthrough.
 *  - OPEN and CREATE: FOPEN_PASSTHROUGH and the backing id. libfuse replies
 *    on the thread that runs the handler, so the handler hands the id over
 *    in a thread-local variable.
 *
 * Backing ids: passthrough-backing.c. The kernel's structures:
 * fuse-kernel.h. With libfuse >= 3.17, meson builds passthrough-fuse317.c
 * instead. */

#include <stdbool.h>

#include "devio.h"
#include "front.h"
#include "fuse-kernel.h"

/* The backing id the next OPEN/CREATE reply written by this thread carries. */
static __thread int next_backing_id = -1;

static void patch_init(struct k_fuse_init_out *o) {
        /* Servers clear suid/sgid (killpriv.c): no GETXATTR per write. */
        o->flags |= K_FUSE_HANDLE_KILLPRIV_V2;
        if (!passthrough_enabled())
                return;
        o->flags |= K_FUSE_INIT_EXT;
        o->flags2 |= K_FUSE_PASSTHROUGH_FLAGS2;
        o->max_stack_depth = 1;
}

/* An OPEN reply is a fuse_open_out; a CREATE reply a fuse_entry_out
 * followed by one: in both the open part is the argument's tail. */
static void patch_reply(struct iovec *iov, int count) {
        struct iovec *last = &iov[count - 1];
        struct k_fuse_open_out *o;
        int id = next_backing_id;

        if (id < 0)
                return;
        next_backing_id = -1;
        if (!devio_reply_arg(iov, count, sizeof(*o)))
                return;
        o = (struct k_fuse_open_out *) ((char *) last->iov_base + last->iov_len - sizeof(*o));
        o->open_flags |= K_FOPEN_PASSTHROUGH;
        o->backing_id = id;
}

int passthrough_session(struct fuse_session *se, bool want) {
        static const struct devio_hooks hooks = { .patch_init = patch_init, .patch_reply = patch_reply };

        passthrough_state_init(fuse_session_fd(se), want);
        /* Also without passthrough, for KILLPRIV_V2 in INIT. */
        return devio_session(se, &hooks);
}

void passthrough_init(struct fuse_conn_info *conn) {
        devio_expect_init();
}

void passthrough_reply_with(struct fuse_file_info *fi, int id) {
        next_backing_id = id;
}

void passthrough_reply_done(void) {
        next_backing_id = -1;
}
