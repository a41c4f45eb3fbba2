/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Extended attributes. The *xattr() calls do not take O_PATH fds, and this
 * libc has no *xattrat(): they go through /proc/self/fd/N, which resolves to
 * the inode itself (for a symlink, the link, not its target). */

#include <errno.h>
#include <stdlib.h>
#include <sys/xattr.h>

#include "front.h"
#include "macro.h"

/* Enter and resolve ino to its magic path; 0, or a positive errno that has
 * been answered already (then the gate is not held). */
static int xattr_enter(fuse_req_t req, fuse_ino_t ino, char p[static PROC_FD_PATH_MAX]) {
        int r, fd;

        r = op_enter(req);
        if (r > 0) {
                fuse_reply_err(req, r);
                return r;
        }
        fd = inode_fd(ino);
        if (fd < 0) {
                fuse_reply_err(req, -fd);
                op_leave();
                return -fd;
        }
        proc_fd_path(p, fd);
        return 0;
}

/* Shared reply for getxattr and listxattr: size 0 asks for the size only. */
static void reply_sized(fuse_req_t req, ssize_t n, const char *buf, size_t size) {
        if (n < 0)
                fuse_reply_err(req, errno);
        else if (size == 0)
                fuse_reply_xattr(req, (size_t) n);
        else
                fuse_reply_buf(req, buf, (size_t) n);
}

void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size) {
        stat_inc(STAT_GETXATTR);
        char p[PROC_FD_PATH_MAX];
        _cleanup_free_ char *buf = NULL;
        ssize_t n;

        if (xattr_enter(req, ino, p) > 0)
                return;
        if (size > 0 && !(buf = malloc(size)))
                fuse_reply_err(req, ENOMEM);
        else {
                n = getxattr(p, name, buf, size);
                reply_sized(req, n, buf, size);
        }
        op_leave();
}

void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
        stat_inc(STAT_LISTXATTR);
        char p[PROC_FD_PATH_MAX];
        _cleanup_free_ char *buf = NULL;
        ssize_t n;

        if (xattr_enter(req, ino, p) > 0)
                return;
        if (size > 0 && !(buf = malloc(size)))
                fuse_reply_err(req, ENOMEM);
        else {
                n = listxattr(p, buf, size);
                reply_sized(req, n, buf, size);
        }
        op_leave();
}

void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size, int flags) {
        stat_inc(STAT_SETXATTR);
        char p[PROC_FD_PATH_MAX];

        if (xattr_enter(req, ino, p) > 0)
                return;
        fuse_reply_err(req, setxattr(p, name, value, size, flags) < 0 ? errno : 0);
        op_leave();
}

void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name) {
        stat_inc(STAT_REMOVEXATTR);
        char p[PROC_FD_PATH_MAX];

        if (xattr_enter(req, ino, p) > 0)
                return;
        fuse_reply_err(req, removexattr(p, name) < 0 ? errno : 0);
        op_leave();
}
