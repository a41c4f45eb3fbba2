/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* homefsd's FUSE device I/O on libfuse < 3.17 (fuse_session_custom_io).
 *
 * libfuse 3.14 negotiates neither kernel passthrough nor FUSE over
 * io_uring, and keeps the INIT request's flags2 to itself. This layer sits
 * between libfuse and /dev/fuse (same fd) and:
 *
 *  - read: notes the flags2 the kernel offers in INIT (is io_uring on?),
 *    and paces FORGETs once requests come through io_uring (below);
 *  - writev: patches the INIT reply (passthrough-fuse314.c,
 *    uring-liburing.c) and OPEN/CREATE replies (backing ids), and sends a
 *    reply to a request that came through an io_uring queue back through
 *    that queue instead of /dev/fuse (uring-liburing.c);
 *  - splice: plain splice, so that libfuse keeps its splice paths.
 *
 * Installed only when passthrough or io_uring is wanted. */

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devio.h"
#include "log.h"
#include "uring.h"

static __thread bool next_is_init;
static atomic_bool init_seen;
static _Atomic uint32_t init_flags2;

void devio_expect_init(void) {
        next_is_init = true;
}

uint32_t devio_init_flags2(void) {
        return atomic_load(&init_flags2);
}

void *devio_reply_arg(struct iovec *iov, int count, size_t min_size) {
        const struct k_fuse_out_header *h;

        if (count < 2 || iov[0].iov_len != sizeof(*h))
                return NULL;
        h = iov[0].iov_base;
        if (h->error != 0 || iov[count - 1].iov_len < min_size)
                return NULL;
        return iov[count - 1].iov_base;
}

static void patch_init(struct iovec *iov, int count) {
        struct k_fuse_init_out *o = devio_reply_arg(iov, count, sizeof(struct k_fuse_init_out));

        if (!o) {
                passthrough_refuse("unexpected INIT reply");
                return;
        }
        passthrough_patch_init(o);
        uring_patch_init(o);
}

static ssize_t dev_writev(int fd, struct iovec *iov, int count, void *userdata) {
        bool init = next_is_init;
        ssize_t r;

        if (init) {
                next_is_init = false;
                patch_init(iov, count);
        } else
                passthrough_patch_reply(iov, count);
        if (uring_reply(iov, count, &r))
                return r;
        r = writev(fd, iov, count);
        if (init)
                uring_start(r >= 0);
        return r;
}

/* With FUSE over io_uring, /dev/fuse carries only FORGET and INTERRUPT,
 * and a FORGET there wakes a thread of libfuse's loop for itself: a third
 * of homefsd's CPU time in an unlink. So after reading a FORGET a thread
 * waits FORGET_PACE_NS before it reads again, and the FORGETs the kernel
 * queues meanwhile come as one BATCH_FORGET: a few wake-ups per pace, not
 * one per file. A FORGET waiting only keeps an inode entry a little
 * longer; an INTERRUPT waits as long at most (homefsd's handlers do not
 * look at interrupts). Through /dev/fuse alone there is no pacing: there
 * every request shares the readers. */
#define FORGET_PACE_NS 1000000L

static __thread bool pace_next_read;

/* INIT is the first request and is always read (never spliced): libfuse
 * splices only once INIT negotiated it. */
static ssize_t dev_read(int fd, void *buf, size_t len, void *userdata) {
        const size_t need = sizeof(struct k_fuse_in_header) + offsetof(struct k_fuse_init_in, unused);
        const struct k_fuse_in_header *h = buf;
        ssize_t r;

        if (pace_next_read && uring_transport() == TRANSPORT_URING)
                (void) nanosleep(&(struct timespec) { .tv_nsec = FORGET_PACE_NS }, NULL);
        r = read(fd, buf, len);
        pace_next_read = r >= (ssize_t) sizeof(*h) && (h->opcode == K_FUSE_FORGET || h->opcode == K_FUSE_BATCH_FORGET);

        if (r >= (ssize_t) need && !atomic_load_explicit(&init_seen, memory_order_relaxed) &&
            h->opcode == K_FUSE_INIT) {
                const struct k_fuse_init_in *in = (const void *) (h + 1);

                if (in->flags & K_FUSE_INIT_EXT)
                        atomic_store(&init_flags2, in->flags2);
                atomic_store(&init_seen, true);
        }
        return r;
}

static ssize_t dev_splice(int in, off_t *in_off, int out, off_t *out_off, size_t len, unsigned flags, void *userdata) {
        return splice(in, in_off, out, out_off, len, flags);
}

int devio_session(struct fuse_session *se) {
        static const struct fuse_custom_io io = {
                .writev = dev_writev,
                .read = dev_read,
                .splice_receive = dev_splice,
                .splice_send = dev_splice,
        };
        static bool installed;
        int r;

        if (installed)
                return 0;
        /* Same fd as fuse_session_mount() opened: only the I/O changes. */
        r = fuse_session_custom_io(se, &io, fuse_session_fd(se));
        if (r < 0)
                return log_error_errno(-r, "cannot install the FUSE device I/O: %m");
        installed = true;
        return 0;
}
