/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The table of request handlers, and the FUSE INIT negotiation.
 *
 * Locks: getlk/setlk and flock are deliberately not implemented, so the
 * kernel keeps POSIX and BSD locks itself on the FUSE inode. That is exactly
 * right here: every access to the backing filesystem goes through this one
 * FUSE mount, so the kernel sees every lock holder; it also keeps the POSIX
 * owner semantics (per process, released on any close) and deadlock
 * detection that OFD locks on per-open backing fds would get wrong, and a
 * blocking lock waits in the kernel instead of pinning a worker thread
 * (which would also hold the gate and so block Detach forever).
 *
 * No flush either: nothing is buffered here, and the kernel stops sending
 * FLUSH after the first ENOSYS, which saves a round trip on every close(). */

#include "front.h"
#include "uring.h"

static void op_init(void *userdata, struct fuse_conn_info *conn) {
        /* No writeback cache: writes reach the backing fs at write() time,
         * so Detach loses nothing, and kernel passthrough excludes it. */
        conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
        if (conn->capable & FUSE_CAP_SPLICE_WRITE)
                conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
        /* Write data arrives in a pipe and is spliced into the backing file
         * (fuse_buf_copy in write_buf): 3x faster for large writes here. */
        if (conn->capable & FUSE_CAP_SPLICE_READ)
                conn->want |= FUSE_CAP_SPLICE_READ;
        /* Lookups of "." and ".." (export support) are never answered: they
         * could lead out of the attached directory. */
        conn->want &= ~FUSE_CAP_EXPORT_SUPPORT;
        passthrough_init(conn);
        uring_init(conn); /* after the splice flags: it may clear them */
}

const struct fuse_lowlevel_ops front_ops = {
        .init = op_init,
        .lookup = op_lookup,
        .forget = op_forget,
        .forget_multi = op_forget_multi,
        .getattr = op_getattr,
        .setattr = op_setattr,
        .readlink = op_readlink,
        .mknod = op_mknod,
        .mkdir = op_mkdir,
        .symlink = op_symlink,
        .link = op_link,
        .unlink = op_unlink,
        .rmdir = op_rmdir,
        .rename = op_rename,
        .open = op_open,
        .create = op_create,
        .read = op_read,
        .write_buf = op_write_buf,
        .release = op_release,
        .fsync = op_fsync,
        .opendir = op_opendir,
        .readdir = op_readdir,
        .readdirplus = op_readdirplus,
        .releasedir = op_releasedir,
        .fsyncdir = op_fsyncdir,
        .statfs = op_statfs,
        .setxattr = op_setxattr,
        .getxattr = op_getxattr,
        .listxattr = op_listxattr,
        .removexattr = op_removexattr,
        .fallocate = op_fallocate,
        .lseek = op_lseek,
        .copy_file_range = op_copy_file_range,
};
