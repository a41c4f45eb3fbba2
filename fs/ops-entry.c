/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Name space operations: lookup and forget, creating and removing names.
 * Everything is relative to the parent's O_PATH fd; names come from the
 * kernel as single components, and are checked again anyway. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "front.h"
#include "macro.h"

bool name_is_bad(const char *name) {
        return !name[0] || streq(name, ".") || streq(name, "..") || strchr(name, '/');
}

int parent_fd_for(fuse_ino_t parent, const char *name) {
        int pfd = inode_fd(parent);

        if (pfd < 0)
                return pfd;
        return name_is_bad(name) ? -EINVAL : pfd;
}

/* parent/name by a fresh open: the fd becomes the entry's cached fd. */
static int lookup_open(int pfd, fuse_ino_t parent, const char *name, struct fuse_entry_param *e) {
        struct inode *i;
        int fd;

        fd = RETRY_EMFILE(openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (fd < 0)
                return negative_errno();
        if (fstatat(fd, "", &e->attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
                int r = negative_errno();

                safe_close(fd);
                return r;
        }
        i = inode_get(fd, &e->attr, parent, name);
        if (!i)
                return -ENOMEM;
        e->ino = (fuse_ino_t) (uintptr_t) i;
        return 0;
}

/* READDIRPLUS hands out entries the kernel often has already (a directory
 * listed again, or after its files were looked up or created): where the
 * directory entry's inode number names a known inode, one fstatat() by name
 * gives the attributes and confirms it (with one name_to_handle_at() where
 * no fd of it is cached), and nothing is opened. -EAGAIN where that is not
 * so. */
static int lookup_known(int pfd, fuse_ino_t parent, const char *name, ino_t hint, struct fuse_entry_param *e) {
        struct inode *i;

        if (!inode_known(inode_of(parent)->dev, hint))
                return -EAGAIN;
        if (fstatat(pfd, name, &e->attr, AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();
        /* Whatever the name is now, e->attr says which inode it was. */
        i = inode_get_named(pfd, name, &e->attr, parent);
        if (!i)
                return -EAGAIN;
        e->ino = (fuse_ino_t) (uintptr_t) i;
        return 0;
}

int entry_lookup_hint(fuse_ino_t parent, const char *name, ino_t hint, struct fuse_entry_param *e) {
        int pfd = parent_fd_for(parent, name), r = -EAGAIN;

        if (pfd < 0)
                return pfd;
        *e = (struct fuse_entry_param) {
                .attr_timeout = FRONT_TIMEOUT,
                .entry_timeout = FRONT_TIMEOUT,
        };
        if (hint != 0)
                r = lookup_known(pfd, parent, name, hint, e);
        return r == -EAGAIN ? lookup_open(pfd, parent, name, e) : r;
}

int entry_lookup(fuse_ino_t parent, const char *name, struct fuse_entry_param *e) {
        return entry_lookup_hint(parent, name, 0, e);
}

/* The entry for parent/name, which fd (an open file, kept by the caller)
 * was just opened or (created) made as: its attributes and handle come
 * from fd, with no second open of the name. */
int entry_of_open(fuse_ino_t parent, const char *name, int fd, bool created, struct fuse_entry_param *e) {
        struct inode *i;

        *e = (struct fuse_entry_param) {
                .attr_timeout = FRONT_TIMEOUT,
                .entry_timeout = FRONT_TIMEOUT,
        };
        if (fstat(fd, &e->attr) < 0)
                return negative_errno();
        /* A new inode has no xattrs but inherited ones (ACLs, LSM labels):
         * inode_get_open() marks it no_fcaps. */
        i = inode_get_open(fd, created, &e->attr, parent, name);
        if (!i && errno == EOPNOTSUPP)
                return entry_lookup(parent, name, e);
        if (!i)
                return -ENOMEM;
        e->ino = (fuse_ino_t) (uintptr_t) i;
        return 0;
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
        stat_inc(STAT_LOOKUP);
        struct fuse_entry_param e;
        int r;

        r = op_enter(req);
        if (r > 0)
                return (void) fuse_reply_err(req, r);

        r = entry_lookup(parent, name, &e);
        if (r == -ENOENT) {
                /* A negative entry. Directly below the root cached only
                 * where Detach can drop it (a new dentry epoch): dropping a
                 * directory drops the negative entries below it, but the
                 * root cannot be dropped. */
                e = (struct fuse_entry_param) {
                        .ino = 0,
                        .entry_timeout = parent != FUSE_ROOT_ID || front_epoch_works() ? FRONT_TIMEOUT : 0,
                };
                fuse_reply_entry(req, &e);
        } else if (r < 0)
                fuse_reply_err(req, -r);
        else
                fuse_reply_entry(req, &e);
        op_leave();
}

void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
        stat_inc(STAT_FORGET);
        /* No gate: the kernel sends no other request for an inode it has
         * forgotten, and the table's own locking covers Detach. */
        inode_unref(inode_of(ino), nlookup);
        fuse_reply_none(req);
}

void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets) {
        stat_inc(STAT_FORGET);
        for (size_t k = 0; k < count; k++)
                inode_unref(inode_of(forgets[k].ino), forgets[k].nlookup);
        fuse_reply_none(req);
}

/* After something was created under parent, answer with its entry. */
static void reply_new_entry(fuse_req_t req, fuse_ino_t parent, const char *name) {
        struct fuse_entry_param e;
        int r;

        r = entry_lookup(parent, name, &e);
        if (r < 0)
                fuse_reply_err(req, -r);
        else
                fuse_reply_entry(req, &e);
}

/* Shared shape of mknod, mkdir and symlink: enter, resolve the parent, call
 * make(), answer the new entry. */
enum make_kind { MAKE_NODE, MAKE_DIR, MAKE_SYMLINK };

static int make_one(enum make_kind kind, int pfd, const char *name, mode_t mode, dev_t rdev, const char *target) {
        int r;

        switch (kind) {
        case MAKE_NODE:
                r = mknodat(pfd, name, mode, rdev);
                break;
        case MAKE_DIR:
                r = mkdirat(pfd, name, mode);
                break;
        case MAKE_SYMLINK:
                r = symlinkat(target, pfd, name);
                break;
        default:
                return -EINVAL;
        }
        return r < 0 ? negative_errno() : 0;
}

static void make_entry(fuse_req_t req, enum make_kind kind, fuse_ino_t parent, const char *name,
                       mode_t mode, dev_t rdev, const char *target) {
        int r, pfd;

        r = op_enter(req);
        if (r > 0)
                return (void) fuse_reply_err(req, r);

        pfd = parent_fd_for(parent, name);
        r = pfd < 0 ? pfd : make_one(kind, pfd, name, mode, rdev, target);

        if (r < 0)
                fuse_reply_err(req, -r);
        else
                reply_new_entry(req, parent, name);
        op_leave();
}

void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev) {
        stat_inc(STAT_MKNOD);
        make_entry(req, MAKE_NODE, parent, name, mode, rdev, NULL);
}

void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode) {
        stat_inc(STAT_MKDIR);
        make_entry(req, MAKE_DIR, parent, name, mode, 0, NULL);
}

void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name) {
        stat_inc(STAT_SYMLINK);
        make_entry(req, MAKE_SYMLINK, parent, name, 0, 0, link);
}

void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t parent, const char *name) {
        stat_inc(STAT_LINK);
        int r, fd, pfd;

        r = op_enter(req);
        if (r > 0)
                return (void) fuse_reply_err(req, r);

        fd = inode_fd(ino);
        pfd = inode_fd(parent);
        if (fd < 0 || pfd < 0)
                r = -ESTALE;
        else if (name_is_bad(name))
                r = -EINVAL;
        /* AT_EMPTY_PATH links the O_PATH fd itself (needs
         * CAP_DAC_READ_SEARCH, which we keep). */
        else if (linkat(fd, "", pfd, name, AT_EMPTY_PATH) < 0)
                r = negative_errno();

        if (r < 0)
                fuse_reply_err(req, -r);
        else
                reply_new_entry(req, parent, name);
        op_leave();
}

static void remove_entry(fuse_req_t req, fuse_ino_t parent, const char *name, int flags) {
        int r, pfd;

        r = op_enter(req);
        if (r > 0)
                return (void) fuse_reply_err(req, r);

        pfd = parent_fd_for(parent, name);
        if (pfd < 0)
                r = pfd;
        else if (unlinkat(pfd, name, flags) < 0)
                r = negative_errno();

        fuse_reply_err(req, -r);
        op_leave();
}

void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name) {
        stat_inc(STAT_UNLINK);
        remove_entry(req, parent, name, 0);
}

void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name) {
        stat_inc(STAT_RMDIR);
        remove_entry(req, parent, name, AT_REMOVEDIR);
}

/* Keep the names Detach uses for invalidation current: the inode now at
 * parent/name came from oldparent/oldname. */
static void note_name(int pfd, fuse_ino_t parent, const char *name, fuse_ino_t oldparent, const char *oldname) {
        struct stat st;

        if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                inode_renamed(st.st_dev, st.st_ino, oldparent, oldname, parent, name);
}

void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
               fuse_ino_t newparent, const char *newname, unsigned int flags) {
        stat_inc(STAT_RENAME);
        int r, pfd, npfd;

        r = op_enter(req);
        if (r > 0)
                return (void) fuse_reply_err(req, r);

        pfd = inode_fd(parent);
        npfd = inode_fd(newparent);
        if (pfd < 0 || npfd < 0)
                r = -ESTALE;
        else if (name_is_bad(name) || name_is_bad(newname))
                r = -EINVAL;
        else if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
                r = -EINVAL; /* RENAME_WHITEOUT is for overlayfs only */
        else if (renameat2(pfd, name, npfd, newname, flags) < 0)
                r = negative_errno();

        if (r == 0) {
                note_name(npfd, newparent, newname, parent, name);
                if (flags & RENAME_EXCHANGE)
                        note_name(pfd, parent, name, newparent, newname);
        }
        fuse_reply_err(req, -r);
        op_leave();
}
