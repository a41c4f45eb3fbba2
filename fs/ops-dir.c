/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Directories: opendir, readdir(plus), releasedir, fsyncdir. A directory
 * handle keeps a DIR stream and the offset it is at, so that sequential
 * readdir calls need no seekdir(). */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "front.h"
#include "macro.h"

void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
        stat_inc(STAT_OPENDIR);
        struct handle *h;
        int r, fd, ifd;

        r = op_enter(req);
        if (r > 0)
                return (void) fuse_reply_err(req, r);

        ifd = inode_fd(ino);
        if (ifd < 0)
                fuse_reply_err(req, -ifd);
        else if ((fd = RETRY_EMFILE(openat(ifd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC))) < 0)
                fuse_reply_err(req, errno);
        else if (!(h = handle_new_dir(fd)))
                fuse_reply_err(req, errno);
        else {
                fi->fh = (uint64_t) (uintptr_t) h;
                /* The kernel may keep the listing and serve later opens of
                 * the directory from it: homefsd is the only writer, every
                 * change made through the mount moves the directory's
                 * version (which drops the listing), and a Detach drops it
                 * with the rest of the inode's cache. */
                fi->cache_readdir = 1;
                fi->keep_cache = 1;
                if (fuse_reply_open(req, fi) < 0)
                        handle_free(h);
        }
        op_leave();
}

static bool is_dot(const char *name) {
        return streq(name, ".") || streq(name, "..");
}

/* Adds the handle's current entry to buf; returns its size (more than rem
 * when it did not fit and nothing was added), 0 to skip it, or a negative
 * errno. */
static int add_entry(fuse_req_t req, fuse_ino_t ino, struct handle *h, bool plus, char *p, size_t rem, size_t *ret) {
        const struct dirent *d = h->entry;
        struct fuse_entry_param e = {
                .attr.st_ino = d->d_ino,
                .attr.st_mode = (mode_t) d->d_type << 12,
        };
        size_t n;
        int r;

        if (!plus) {
                *ret = fuse_add_direntry(req, p, rem, d->d_name, &e.attr, d->d_off);
                return 0;
        }
        if (!is_dot(d->d_name)) {
                r = entry_lookup_hint(ino, d->d_name, d->d_ino, &e);
                if (r == -ENOENT) { /* removed meanwhile */
                        *ret = 0;
                        return 0;
                }
                if (r < 0)
                        return r;
        }
        n = fuse_add_direntry_plus(req, p, rem, d->d_name, &e, d->d_off);
        if (n > rem && e.ino)
                inode_unref(inode_of(e.ino), 1); /* did not fit: not handed out */
        *ret = n;
        return 0;
}

static int fill_dir(fuse_req_t req, fuse_ino_t ino, struct handle *h, bool plus, char *buf, size_t size, off_t off, size_t *ret) {
        size_t rem = size;
        int r = 0;

        if (off != h->offset) {
                seekdir(h->dir, off);
                h->entry = NULL;
                h->offset = off;
        }
        for (;;) {
                size_t n;

                if (!h->entry) {
                        errno = 0;
                        h->entry = readdir(h->dir);
                        if (!h->entry) {
                                r = errno ? -errno : 0;
                                break;
                        }
                }
                r = add_entry(req, ino, h, plus, buf + (size - rem), rem, &n);
                if (r < 0 || n > rem)
                        break;
                rem -= n;
                h->offset = h->entry->d_off;
                h->entry = NULL;
        }
        *ret = size - rem;
        /* An error after some entries: deliver those, the next call will
         * hit the error again. */
        return *ret > 0 ? 0 : r;
}

static void readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi, bool plus) {
        struct handle *h = handle_of(fi);
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        int r;

        op_enter_any(req);
        /* Revoked; or detaching, when readdirplus must not add entries to
         * the kernel's cache any more. */
        if (h->fd < 0 || (plus && front.state != FRONT_ATTACHED))
                r = -EIO;
        else if (!(buf = malloc(size)))
                r = -ENOMEM;
        else
                r = fill_dir(req, ino, h, plus, buf, size, off, &n);

        if (r < 0)
                fuse_reply_err(req, -r);
        else
                fuse_reply_buf(req, buf, n);
        op_leave();
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
        stat_inc(STAT_READDIR);
        readdir_common(req, ino, size, off, fi, false);
}

void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
        stat_inc(STAT_READDIRPLUS);
        readdir_common(req, ino, size, off, fi, true);
}

void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
        stat_inc(STAT_RELEASEDIR);
        op_enter_any(req);
        handle_free(handle_of(fi));
        fuse_reply_err(req, 0);
        op_leave();
}

void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi) {
        stat_inc(STAT_FSYNCDIR);
        struct handle *h = handle_of(fi);
        int r;

        op_enter_any(req);
        if (h->fd < 0)
                r = EIO;
        else
                r = (datasync ? fdatasync(h->fd) : fsync(h->fd)) < 0 ? errno : 0;
        fuse_reply_err(req, r);
        op_leave();
}
