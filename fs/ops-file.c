/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Regular files: open/create and everything done on an open handle. The
 * handle operations take no lock but the gate's read side, and after a
 * Detach answer EIO (the handle's fd is gone). */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "front.h"
#include "macro.h"

/* Flags the backing open must not see: creation is done by create(), and
 * O_NOFOLLOW would make the magic /proc link itself fail. */
#define OPEN_FLAGS_DROP (O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW)

/* Enter for an operation on an open handle: returns its fd, or -1 after
 * answering EIO (revoked by a Detach), with the gate left again. */
static int handle_enter(fuse_req_t req, struct fuse_file_info *fi) {
        int fd;

        op_enter_any(req);
        fd = handle_of(fi)->fd;
        if (fd < 0) {
                fuse_reply_err(req, EIO);
                op_leave();
        }
        return fd;
}

/* A setuid or setgid (with group exec) mode: a write clears those bits. */
static bool mode_is_sxid(mode_t mode) {
        return (mode & S_ISUID) || (mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP);
}

static bool is_sxid(int fd) {
        struct stat st;

        return fstat(fd, &st) == 0 && mode_is_sxid(st.st_mode);
}

/* A change of a file's data (write, fallocate, copy_file_range) runs as
 * ext4 runs it for the caller: without CAP_FSETID when the caller lacks it
 * (killpriv.c), so the backing filesystem clears suid/sgid. */
static bool kill_begin(fuse_req_t req, int fd) {
        return killpriv_for_caller(req) && is_sxid(fd) && fsetid_drop();
}

/* An open with O_TRUNC of an existing file, the same way: a truncation. */
static bool trunc_kill_begin(fuse_req_t req, int flags) {
        return (flags & O_TRUNC) && killpriv_for_caller(req) && fsetid_drop();
}

static void kill_end(bool kill, fuse_ino_t ino) {
        fsetid_restore(kill);
        /* The backing filesystem cleared suid/sgid: the kernel's cached
         * mode is stale now (attributes only: no page lock is taken). */
        if (kill)
                (void) fuse_lowlevel_notify_inval_inode(front.se, ino, -1, 0);
}

/* Serve the handle by kernel passthrough if the kernel lets us. st: the
 * file's attributes where known (create), else NULL. */
static void handle_passthrough(struct handle *h, struct inode *i, struct fuse_file_info *fi, const struct stat *st) {
        int id;

        if (!passthrough_enabled())
                return;
        /* A write through passthrough clears suid/sgid in the backing file
         * (killpriv.c) but the kernel keeps the mode it cached: serve
         * writable opens of such files here, where writes can tell it. */
        if ((fi->flags & O_ACCMODE) != O_RDONLY && (st ? mode_is_sxid(st->st_mode) : is_sxid(h->fd)))
                return;
        id = inode_backing_get(i, h->fd);
        if (id <= 0)
                return;
        h->inode = i;
        h->passthrough = true;
        passthrough_reply_with(fi, id);
        stat_inc(STAT_OPEN_PASSTHROUGH);
}

/* Answer an open/create of i with a new handle for fd (consumed). */
static void reply_opened(fuse_req_t req, struct inode *i, int fd, struct fuse_file_info *fi,
                         const struct fuse_entry_param *e) {
        struct handle *h = handle_new_file(fd);
        int r;

        if (!h) {
                if (e)
                        inode_unref(i, 1);
                fuse_reply_err(req, errno);
                return;
        }
        fi->fh = (uint64_t) (uintptr_t) h;
        handle_passthrough(h, i, fi, e ? &e->attr : NULL);
        /* homefsd is the only writer: pages cached by an earlier open are
         * still good. With passthrough the kernel caches in the backing
         * file instead, and fails KEEP_CACHE opens with EIO. */
        fi->keep_cache = !h->passthrough;
        r = e ? fuse_reply_create(req, e, fi) : fuse_reply_open(req, fi);
        passthrough_reply_done();
        if (r < 0) /* the open was interrupted: no release will come */
                handle_free(h);
}

/* A new fd for the regular file ino, opened with flags. */
static int reopen(fuse_ino_t ino, int flags) {
        struct inode *i = inode_of(ino);
        char p[PROC_FD_PATH_MAX];
        int fd;

        /* By handle where there is one: one syscall, no cached fd needed. */
        if (i->fh)
                return i->revoked ? -ESTALE : fdcache_open_handle(i, flags);
        /* An O_PATH fd cannot be reopened with *at() (there is no
         * O_EMPTY_PATH); the magic link is the one way. */
        fd = inode_fd(ino);
        if (fd < 0)
                return fd;
        proc_fd_path(p, fd);
        fd = RETRY_EMFILE(open(p, flags | O_CLOEXEC));
        return fd >= 0 ? fd : negative_errno();
}

void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
        stat_inc(STAT_OPEN);
        mode_t type = inode_of(ino)->type;
        int r, fd;

        r = op_enter(req);
        if (r > 0)
                return (void) fuse_reply_err(req, r);

        if (type != S_IFREG)
                /* Never reopen a symlink: the kernel opens only regular
                 * files through us. */
                fuse_reply_err(req, type == S_IFLNK ? ELOOP : EINVAL);
        else {
                bool kill = trunc_kill_begin(req, fi->flags);

                fd = reopen(ino, fi->flags & ~OPEN_FLAGS_DROP);
                fsetid_restore(kill);
                if (fd < 0)
                        fuse_reply_err(req, -fd);
                else
                        reply_opened(req, inode_of(ino), fd, fi, NULL);
        }
        op_leave();
}

void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, struct fuse_file_info *fi) {
        stat_inc(STAT_CREATE);
        struct fuse_entry_param e;
        int r, fd = -1, pfd;

        r = op_enter(req);
        if (r > 0)
                return (void) fuse_reply_err(req, r);

        pfd = parent_fd_for(parent, name);
        if (pfd < 0)
                r = pfd;
        else {
                /* O_NOFOLLOW: never create through a symlink, whose target
                 * would be resolved in homefsd's view of the world. O_EXCL
                 * first, also where the caller did not ask for it, to know
                 * whether the file is new (the kernel sends CREATE for a
                 * name it thinks absent: it nearly always is). */
                int flags = (fi->flags & ~O_NOCTTY) | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
                bool created = true;

                fd = RETRY_EMFILE(openat(pfd, name, flags | O_EXCL, mode));
                if (fd < 0 && errno == EEXIST && !(fi->flags & O_EXCL)) {
                        bool kill = trunc_kill_begin(req, fi->flags);

                        created = false;
                        fd = RETRY_EMFILE(openat(pfd, name, flags, mode));
                        fsetid_restore(kill);
                }
                if (fd < 0)
                        r = negative_errno();
                else
                        r = entry_of_open(parent, name, fd, created, &e);
        }

        if (r < 0) {
                safe_close(fd);
                fuse_reply_err(req, -r);
        } else
                reply_opened(req, inode_of(e.ino), fd, fi, &e);
        op_leave();
}

void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
        stat_inc(STAT_READ);
        struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
        int fd = handle_enter(req, fi);

        if (fd < 0)
                return;
        /* libfuse reads (or splices) straight from the fd into the reply. */
        buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
        buf.buf[0].fd = fd;
        buf.buf[0].pos = off;
        (void) fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
        op_leave();
}

void op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv, off_t off, struct fuse_file_info *fi) {
        stat_inc(STAT_WRITE);
        struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(bufv));
        int fd = handle_enter(req, fi);
        bool kill;
        ssize_t n;

        if (fd < 0)
                return;
        out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
        out.buf[0].fd = fd;
        out.buf[0].pos = off;
        kill = kill_begin(req, fd);
        n = fuse_buf_copy(&out, bufv, 0);
        kill_end(kill, ino);
        if (n < 0)
                fuse_reply_err(req, (int) -n);
        else
                fuse_reply_write(req, (size_t) n);
        op_leave();
}

void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
        stat_inc(STAT_RELEASE);
        op_enter_any(req);
        handle_free(handle_of(fi));
        fuse_reply_err(req, 0);
        op_leave();
}

void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi) {
        stat_inc(STAT_FSYNC);
        int fd = handle_enter(req, fi);

        if (fd < 0)
                return;
        fuse_reply_err(req, (datasync ? fdatasync(fd) : fsync(fd)) < 0 ? errno : 0);
        op_leave();
}

void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length, struct fuse_file_info *fi) {
        stat_inc(STAT_FALLOCATE);
        int fd = handle_enter(req, fi), r;
        bool kill;

        if (fd < 0)
                return;
        kill = kill_begin(req, fd);
        r = fallocate(fd, mode, offset, length) < 0 ? errno : 0;
        kill_end(kill, ino);
        fuse_reply_err(req, r);
        op_leave();
}

void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, struct fuse_file_info *fi) {
        stat_inc(STAT_LSEEK);
        int fd = handle_enter(req, fi);
        off_t r;

        if (fd < 0)
                return;
        /* Only SEEK_DATA and SEEK_HOLE come here; the handle's own file
         * position is unused (all I/O is positional). */
        r = lseek(fd, off, whence);
        if (r < 0)
                fuse_reply_err(req, errno);
        else
                fuse_reply_lseek(req, r);
        op_leave();
}

void op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, struct fuse_file_info *fi_in,
                        fuse_ino_t ino_out, off_t off_out, struct fuse_file_info *fi_out,
                        size_t len, int flags) {
        stat_inc(STAT_COPY_FILE_RANGE);
        int in = handle_enter(req, fi_in), out;
        bool kill;
        ssize_t n;

        if (in < 0)
                return;
        out = handle_of(fi_out)->fd;
        if (out < 0) {
                fuse_reply_err(req, EIO);
                op_leave();
                return;
        }
        kill = kill_begin(req, out);
        n = copy_file_range(in, &off_in, out, &off_out, len, (unsigned) flags);
        if (n < 0)
                n = -errno;
        kill_end(kill, ino_out);
        if (n < 0)
                fuse_reply_err(req, (int) -n);
        else
                fuse_reply_write(req, (size_t) n);
        op_leave();
}
