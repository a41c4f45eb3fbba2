/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Attributes: getattr (including the locked root), setattr, readlink, statfs. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "front.h"
#include "macro.h"

#ifdef SYS_fchmodat2
#define K_SYS_fchmodat2 SYS_fchmodat2
#else
#define K_SYS_fchmodat2 452 /* the same on every architecture */
#endif

void proc_fd_path(char buf[static PROC_FD_PATH_MAX], int fd) {
        snprintf(buf, PROC_FD_PATH_MAX, "/proc/self/fd/%i", fd);
}

/* The bare mountpoint while locked: the owner's empty-looking 0700
 * directory, which nobody (not even root, by ENOKEY) can look into. */
static void reply_locked_root(fuse_req_t req) {
        struct timespec now;
        struct stat st = {
                .st_ino = FUSE_ROOT_ID,
                .st_mode = S_IFDIR | 0700,
                .st_nlink = 2,
                .st_uid = front.uid,
                .st_gid = front.gid,
                .st_size = 0,
                .st_blksize = 4096,
        };

        clock_gettime(CLOCK_REALTIME, &now);
        st.st_atim = st.st_mtim = st.st_ctim = now;
        /* Not cached: it changes as soon as the home is attached. */
        fuse_reply_attr(req, &st, 0);
}

static void reply_stat(fuse_req_t req, int fd) {
        struct stat st;

        if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
                fuse_reply_err(req, errno);
        else
                fuse_reply_attr(req, &st, FRONT_TIMEOUT);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
        stat_inc(STAT_GETATTR);
        int fd;

        op_enter_cached(req);
        /* With a handle (the kernel refreshing attributes for a read or
         * write on it): a revoked handle answers EIO, as its I/O does. */
        if (fi && handle_of(fi)->fd < 0)
                fuse_reply_err(req, EIO);
        else if (front.state != FRONT_ATTACHED) {
                /* Any other inode is one from before the deactivate, which the
                 * kernel asks about for an fd (fstat) or for a dentry it
                 * still holds (another hard link's name, a name below a
                 * process's cwd): ENOKEY, exactly as a lookup of that name
                 * answers now, so that no cached name shows it exists. */
                if (ino == FUSE_ROOT_ID)
                        reply_locked_root(req);
                else
                        fuse_reply_err(req, ENOKEY);
        } else if ((fd = fi ? handle_of(fi)->fd : inode_fd(ino)) < 0)
                fuse_reply_err(req, -fd);
        else
                reply_stat(req, fd);
        op_leave();
}

static int set_mode(const struct inode *i, int ifd, int hfd, mode_t mode) {
        char p[PROC_FD_PATH_MAX];

        if (i->type == S_IFLNK)
                return -EOPNOTSUPP;
        if (hfd >= 0)
                return fchmod(hfd, mode) < 0 ? negative_errno() : 0;
        /* fchmod() does not take O_PATH fds; fchmodat2() with AT_EMPTY_PATH
         * (Linux 6.6) does, without the path walk through /proc of the
         * magic link that older kernels need. */
        if (syscall(K_SYS_fchmodat2, ifd, "", mode, AT_EMPTY_PATH) == 0)
                return 0;
        if (errno != ENOSYS && errno != EINVAL)
                return negative_errno();
        proc_fd_path(p, ifd);
        return chmod(p, mode) < 0 ? negative_errno() : 0;
}

static int set_size(int ifd, int hfd, off_t size) {
        char p[PROC_FD_PATH_MAX];

        if (hfd >= 0)
                return ftruncate(hfd, size) < 0 ? negative_errno() : 0;
        proc_fd_path(p, ifd);
        return truncate(p, size) < 0 ? negative_errno() : 0;
}

/* fd: the handle's fd where the request came with one, else the inode's
 * O_PATH fd. */
static int set_times(int fd, const struct stat *attr, int valid) {
        struct timespec tv[2] = {
                { .tv_nsec = UTIME_OMIT },
                { .tv_nsec = UTIME_OMIT },
        };

        if (valid & FUSE_SET_ATTR_ATIME_NOW)
                tv[0].tv_nsec = UTIME_NOW;
        else if (valid & FUSE_SET_ATTR_ATIME)
                tv[0] = attr->st_atim;
        if (valid & FUSE_SET_ATTR_MTIME_NOW)
                tv[1].tv_nsec = UTIME_NOW;
        else if (valid & FUSE_SET_ATTR_MTIME)
                tv[1] = attr->st_mtim;
        return utimensat(fd, "", tv, AT_EMPTY_PATH) < 0 ? negative_errno() : 0;
}

/* With a handle (fchmod, ftruncate, futimens, fchown, and untar's
 * setattrs right after its create) everything goes through the handle's
 * fd: the inode's O_PATH fd may not be cached (a created file has none),
 * and opening it by handle would cost a syscall. fd is the one to stat for
 * the reply. */
static int setattr_do(fuse_req_t req, fuse_ino_t ino, const struct stat *attr, int valid,
                      struct fuse_file_info *fi, int *ret_fd) {
        struct inode *i = inode_of(ino);
        int ifd = -1, hfd = -1, fd, r = 0;

        if (fi) {
                hfd = handle_of(fi)->fd;
                if (hfd < 0)
                        return -EIO;
        } else {
                ifd = inode_fd(ino);
                if (ifd < 0)
                        return ifd;
        }
        fd = *ret_fd = hfd >= 0 ? hfd : ifd;

        if (valid & FUSE_SET_ATTR_MODE)
                r = set_mode(i, ifd, hfd, attr->st_mode);
        if (r == 0 && (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))) {
                uid_t uid = (valid & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t) -1;
                gid_t gid = (valid & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t) -1;
                /* The kernel asks to clear suid/sgid on every chown of a
                 * non-directory (killpriv.c). */
                bool kill = i->type != S_IFDIR && fsetid_drop();

                if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
                        r = negative_errno();
                fsetid_restore(kill);
        }
        if (r == 0 && (valid & FUSE_SET_ATTR_SIZE)) {
                bool kill = killpriv_for_caller(req) && fsetid_drop();

                r = set_size(ifd, hfd, attr->st_size);
                fsetid_restore(kill);
        }
        if (r == 0 && (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)))
                r = set_times(fd, attr, valid);
        return r;
}

void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int valid, struct fuse_file_info *fi) {
        stat_inc(STAT_SETATTR);
        int r, fd = -1;

        op_enter_any(req);
        if (fi && handle_of(fi)->fd < 0)
                r = -EIO; /* ftruncate() etc. on a revoked handle */
        else if (front.state != FRONT_ATTACHED)
                r = -ENOKEY;
        else
                r = setattr_do(req, ino, attr, valid, fi, &fd);
        if (r < 0)
                fuse_reply_err(req, -r);
        else
                reply_stat(req, fd);
        op_leave();
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
        stat_inc(STAT_READLINK);
        char buf[PATH_MAX + 1];
        ssize_t n;
        int r, fd;

        r = op_enter(req);
        if (r > 0)
                return (void) fuse_reply_err(req, r);

        fd = inode_fd(ino);
        if (fd < 0)
                fuse_reply_err(req, -fd);
        else if ((n = readlinkat(fd, "", buf, sizeof(buf))) < 0)
                fuse_reply_err(req, errno);
        else if ((size_t) n >= sizeof(buf))
                fuse_reply_err(req, ENAMETOOLONG);
        else {
                buf[n] = 0;
                fuse_reply_readlink(req, buf);
        }
        op_leave();
}

void op_statfs(fuse_req_t req, fuse_ino_t ino) {
        stat_inc(STAT_STATFS);
        struct statvfs sv = {
                .f_bsize = 4096,
                .f_frsize = 4096,
                .f_namemax = 255,
        };

        op_enter_cached(req);
        /* Locked: an empty file system of no size; statfs of the backing
         * one would need a key. */
        if (front.state == FRONT_ATTACHED && fstatvfs(front.root.fd, &sv) < 0)
                fuse_reply_err(req, errno);
        else
                fuse_reply_statfs(req, &sv);
        op_leave();
}
