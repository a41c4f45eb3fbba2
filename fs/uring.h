/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How FUSE requests reach homefsd: through /dev/fuse (libfuse's
 * multi-threaded loop, always running: FORGET, INTERRUPT and everything
 * before INIT use it) or, where the kernel offers it and homefsd is asked
 * to, through FUSE over io_uring: one queue per possible CPU, served by a
 * thread pinned to that CPU, so a request is served on the CPU that made
 * it. meson picks the implementation: uring-liburing.c (our own, libfuse
 * < 3.17) or uring-libfuse.c (libfuse's, from 3.18). */

#include <stdbool.h>
#include <stdint.h>

#include "front.h"

enum transport {
        TRANSPORT_DEV,   /* /dev/fuse reads */
        TRANSPORT_URING, /* every queue registered */
};

/* Extra options for fuse_session_new ("" or ",io_uring"). */
const char *uring_session_options(bool want);
/* After mounting: prepares the session (want: try io_uring). */
int uring_session(struct fuse_session *se, bool want);
/* From the INIT handler, after passthrough_init. */
void uring_init(struct fuse_conn_info *conn);
/* After unmounting, before fuse_session_destroy: ends the queue threads. */
void uring_stop(void);

enum transport uring_transport(void);
static inline const char *transport_name(enum transport t) {
        return t == TRANSPORT_URING ? "io_uring" : "/dev/fuse";
}
/* Requests served through the rings so far. */
uint64_t uring_requests(void);
