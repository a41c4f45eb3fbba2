/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* homefsd's own FUSE device I/O on libfuse < 3.17 (devio-fuse314.c): the
 * hooks by which kernel passthrough (passthrough-fuse314.c) and FUSE over
 * io_uring (uring-liburing.c) see and change what libfuse reads from and
 * writes to /dev/fuse. Only those files include this; they hand their hooks
 * in, so the device I/O calls nothing of theirs by name. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "front.h"
#include "fuse-kernel.h"

/* What a user of the device I/O does to the replies; any hook may be NULL. */
struct devio_hooks {
        /* Change the INIT reply on its way to the kernel. */
        void (*patch_init)(struct k_fuse_init_out *o);
        /* Change any other reply (an OPEN/CREATE reply's backing id). */
        void (*patch_reply)(struct iovec *iov, int count);
        /* Send a reply some other way than /dev/fuse (true, *ret as writev
         * would return), or leave it (false). */
        bool (*send_reply)(struct iovec *iov, int count, ssize_t *ret);
        /* After the INIT reply was written (ok: it reached the kernel). */
        void (*init_sent)(bool ok);
        /* True while requests come another way (io_uring) and /dev/fuse
         * carries only FORGET and INTERRUPT: FORGETs are then paced. */
        bool (*pace_forgets)(void);
};

/* Installs the device I/O on the session's fd (once; idempotent) and adds
 * hooks (static; each set once, called in the order added). Before the
 * session starts, from the main thread. */
int devio_session(struct fuse_session *se, const struct devio_hooks *hooks);
/* From the INIT handler: the next reply this thread writes is INIT's. */
void devio_expect_init(void);
/* flags2 of the kernel's INIT request; 0 before INIT or without FUSE_INIT_EXT. */
uint32_t devio_init_flags2(void);
/* A reply's argument (its last iovec) if the reply is a success with an
 * argument of at least min_size bytes; else NULL. */
void *devio_reply_arg(struct iovec *iov, int count, size_t min_size);
