/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel FUSE passthrough on libfuse 3.14 (Debian 12).
 *
 * Why this file exists: the kernel (>= 6.9) can serve read, write, splice
 * and mmap of an open FUSE file straight from a backing file, without a
 * round trip to homefsd. libfuse learned to ask for that only in 3.17
 * (FUSE_CAP_PASSTHROUGH, fuse_passthrough_open); 3.14 knows neither the
 * INIT flag nor the open reply fields. So homefsd installs its own device
 * I/O (fuse_session_custom_io) and patches two kinds of replies on their way
 * to the kernel:
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
 * Backing ids: passthrough-backing.c. The constants below are from the
 * kernel's include/uapi/linux/fuse.h (protocol 7.40), which Debian 12's
 * headers predate. With libfuse >= 3.17, meson builds passthrough-fuse317.c
 * instead. */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "front.h"
#include "log.h"

/* From include/uapi/linux/fuse.h. */
#define K_FUSE_HANDLE_KILLPRIV_V2 (1U << 28)
#define K_FUSE_INIT_EXT (1U << 30)
#define K_FUSE_PASSTHROUGH_FLAGS2 (1U << (37 - 32))
#define K_FOPEN_PASSTHROUGH (1U << 7)

struct k_fuse_out_header {
        uint32_t len;
        int32_t error;
        uint64_t unique;
};

/* fuse_init_out as of 7.40: max_stack_depth took the first unused word. */
struct k_fuse_init_out {
        uint32_t major;
        uint32_t minor;
        uint32_t max_readahead;
        uint32_t flags;
        uint16_t max_background;
        uint16_t congestion_threshold;
        uint32_t max_write;
        uint32_t time_gran;
        uint16_t max_pages;
        uint16_t map_alignment;
        uint32_t flags2;
        uint32_t max_stack_depth;
        uint32_t unused[6];
};
_Static_assert(offsetof(struct k_fuse_init_out, max_stack_depth) == 36, "fuse_init_out layout");

/* fuse_open_out as of 7.40: backing_id took the padding. */
struct k_fuse_open_out {
        uint64_t fh;
        uint32_t open_flags;
        int32_t backing_id;
};
_Static_assert(offsetof(struct k_fuse_open_out, backing_id) == 12, "fuse_open_out layout");

/* What the next reply written by this thread must carry. */
static __thread bool next_is_init;
static __thread int next_backing_id = -1;

/* The last iovec holds the reply's argument; check it is what we expect. */
static void *reply_arg(struct iovec *iov, int count, size_t min_size) {
        const struct k_fuse_out_header *h;

        if (count < 2 || iov[0].iov_len != sizeof(*h))
                return NULL;
        h = iov[0].iov_base;
        if (h->error != 0 || iov[count - 1].iov_len < min_size)
                return NULL;
        return iov[count - 1].iov_base;
}

static void patch_init(struct iovec *iov, int count) {
        struct k_fuse_init_out *o = reply_arg(iov, count, sizeof(struct k_fuse_init_out));

        if (!o) {
                passthrough_refuse("unexpected INIT reply");
                return;
        }
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
static void patch_open(struct iovec *iov, int count, int id) {
        struct iovec *last = &iov[count - 1];
        struct k_fuse_open_out *o;

        if (!reply_arg(iov, count, sizeof(*o)))
                return;
        o = (struct k_fuse_open_out *) ((char *) last->iov_base + last->iov_len - sizeof(*o));
        o->open_flags |= K_FOPEN_PASSTHROUGH;
        o->backing_id = id;
}

static ssize_t dev_writev(int fd, struct iovec *iov, int count, void *userdata) {
        if (next_is_init) {
                next_is_init = false;
                patch_init(iov, count);
        } else if (next_backing_id >= 0) {
                patch_open(iov, count, next_backing_id);
                next_backing_id = -1;
        }
        return writev(fd, iov, count);
}

static ssize_t dev_read(int fd, void *buf, size_t len, void *userdata) {
        return read(fd, buf, len);
}

/* Without these libfuse would stop using splice (the fallback's data path). */
static ssize_t dev_splice(int in, off_t *in_off, int out, off_t *out_off, size_t len, unsigned flags, void *userdata) {
        return splice(in, in_off, out, out_off, len, flags);
}

int passthrough_session(struct fuse_session *se, bool want) {
        static const struct fuse_custom_io io = {
                .writev = dev_writev,
                .read = dev_read,
                .splice_receive = dev_splice,
                .splice_send = dev_splice,
        };
        int r;

        passthrough_state_init(fuse_session_fd(se), want);
        /* Same fd as fuse_session_mount() opened: only the I/O changes.
         * Installed also without passthrough, for KILLPRIV_V2 in INIT. */
        r = fuse_session_custom_io(se, &io, fuse_session_fd(se));
        if (r < 0)
                return log_error_errno(-r, "Cannot install the FUSE device I/O: %m");
        return 0;
}

void passthrough_init(struct fuse_conn_info *conn) {
        next_is_init = true;
}

void passthrough_reply_with(struct fuse_file_info *fi, int id) {
        next_backing_id = id;
}

void passthrough_reply_done(void) {
        next_backing_id = -1;
}
