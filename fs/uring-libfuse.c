/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* FUSE over io_uring with libfuse >= 3.18, which has its own: the session
 * option "io_uring" makes libfuse negotiate it and serve per-CPU queues,
 * falling back to /dev/fuse where the kernel does not offer it. The
 * counterpart of uring-liburing.c (see there and uring.h); meson builds one
 * of the two. With libfuse 3.17 (passthrough, but no io_uring) this file
 * serves /dev/fuse only. Not built on Debian 12; untested here. */

#include <stdio.h>

#include "log.h"
#include "uring.h"

static bool wanted;

static bool kernel_offers(void) {
        FILE *f = fopen("/sys/module/fuse/parameters/enable_uring", "re");
        int c = f ? fgetc(f) : EOF;

        if (f)
                fclose(f);
        return c == 'Y' || c == '1';
}

const char *uring_session_options(bool want) {
#if FUSE_VERSION >= FUSE_MAKE_VERSION(3, 18)
        return want ? ",io_uring" : "";
#else
        return "";
#endif
}

int uring_session(struct fuse_session *se, bool want) {
#if FUSE_VERSION >= FUSE_MAKE_VERSION(3, 18)
        wanted = want;
#else
        if (want)
                log_info("FUSE over io_uring needs libfuse 3.18: serving requests through /dev/fuse");
#endif
        return 0;
}

void uring_init(struct fuse_conn_info *conn) {
        if (wanted)
                log_info("FUSE over io_uring: %s", kernel_offers() ? "left to libfuse" : "enable_uring is off, /dev/fuse");
}

void uring_stop(void) {
}

/* libfuse does not tell; the kernel parameter is the best guess. */
enum transport uring_transport(void) {
        return wanted && kernel_offers() ? TRANSPORT_URING : TRANSPORT_DEV;
}

uint64_t uring_requests(void) {
        return 0;
}
