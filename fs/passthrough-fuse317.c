/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel FUSE passthrough on libfuse >= 3.17, which negotiates it itself
 * (FUSE_CAP_PASSTHROUGH) and puts fi->backing_id into OPEN/CREATE replies.
 * The counterpart of passthrough-fuse314.c (see there for what passthrough
 * is); meson builds one of the two. Backing ids: passthrough-backing.c.
 * Not built on Debian 12; untested here. */

#include "front.h"
#include "log.h"

int passthrough_session(struct fuse_session *se, bool want) {
        passthrough_state_init(fuse_session_fd(se), want);
        return 0;
}

void passthrough_init(struct fuse_conn_info *conn) {
        /* Servers clear suid/sgid (killpriv.c): no GETXATTR per write. */
        if (conn->capable & FUSE_CAP_HANDLE_KILLPRIV_V2)
                conn->want |= FUSE_CAP_HANDLE_KILLPRIV_V2;
        if (!passthrough_enabled())
                return;
        if (!(conn->capable & FUSE_CAP_PASSTHROUGH)) {
                passthrough_refuse("the kernel does not offer it");
                return;
        }
        conn->want |= FUSE_CAP_PASSTHROUGH;
        conn->max_backing_stack_depth = 1;
}

void passthrough_reply_with(struct fuse_file_info *fi, int id) {
        fi->backing_id = id;
}

void passthrough_reply_done(void) {
}
