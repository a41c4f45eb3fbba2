/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* homefsd's own FUSE device I/O on libfuse < 3.17 (devio-fuse314.c): the
 * hooks by which kernel passthrough (passthrough-fuse314.c) and FUSE over
 * io_uring (uring-liburing.c) see and change what libfuse reads from and
 * writes to /dev/fuse. Only those files include this. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "front.h"
#include "fuse-kernel.h"

/* Installs the device I/O on the session's fd (once; idempotent). */
int devio_session(struct fuse_session *se);
/* From the INIT handler: the next reply this thread writes is INIT's. */
void devio_expect_init(void);
/* flags2 of the kernel's INIT request; 0 before INIT or without FUSE_INIT_EXT. */
uint32_t devio_init_flags2(void);
/* A reply's argument (its last iovec) if the reply is a success with an
 * argument of at least min_size bytes; else NULL. */
void *devio_reply_arg(struct iovec *iov, int count, size_t min_size);

/* passthrough-fuse314.c: patch the INIT reply, and an OPEN/CREATE reply
 * for which the handler set a backing id. */
void passthrough_patch_init(struct k_fuse_init_out *o);
void passthrough_patch_reply(struct iovec *iov, int count);

/* uring-liburing.c */
/* Sets up the rings and, if that worked, asks for FUSE_OVER_IO_URING. */
void uring_patch_init(struct k_fuse_init_out *o);
/* After the INIT reply was written (ok: it reached the kernel): the queue
 * threads register and serve, or end. */
void uring_start(bool ok);
/* A reply to a request that came through this thread's ring goes back as
 * COMMIT_AND_FETCH: returns true with *ret set if iov was one. */
bool uring_reply(struct iovec *iov, int count, ssize_t *ret);
