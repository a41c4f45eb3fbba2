/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The FUSE side of homefs-cryptdev: one directory holding one regular file,
 * "volume", whose bytes are the decrypted data segment of the image. Every
 * request is served synchronously on the worker thread that received it,
 * with that worker's preallocated buffer and XTS context. */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cryptdev.h"
#include "log.h"
#include "macro.h"
#include "paths.h"

#define ATTR_TIMEOUT 3600.0        /* nothing but us changes the attributes */
#define INO_ROOT FUSE_ROOT_ID
#define INO_VOLUME 2
#define VOLUME_NAME "volume"

__thread struct worker *current_worker;

/* ---- image I/O ---- */

static int image_pread(int fd, void *buf, size_t len, uint64_t pos) {
        for (size_t done = 0; done < len;) {
                ssize_t n = pread(fd, (uint8_t *) buf + done, len - done, (off_t) (pos + done));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return -EIO; /* the image is shorter than checked at start */
                done += (size_t) n;
        }
        return 0;
}

/* The host filesystem holding the image is full (or the image's owner is
 * over quota): tell the agent, once, through a marker next to the
 * mountpoint; it deactivates the home while what was written is intact. */
static void note_host_full(struct cryptdev *d) {
        static bool noted;
        char path[PATH_MAX];
        int fd;

        if (__atomic_exchange_n(&noted, true, __ATOMIC_ACQ_REL))
                return;
        log_error("the host filesystem holding %s is full; writes to the volume fail until there is room", d->opt.image);
        if ((size_t) snprintf(path, sizeof(path), "%s" HOMEFS_HOST_FULL_SUFFIX, d->opt.mountpoint) >= sizeof(path))
                return;
        fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                log_error_errno(errno, "cannot create %s: %m", path);
        else
                close(fd);
}

static int image_pwrite(int fd, const void *buf, size_t len, uint64_t pos) {
        for (size_t done = 0; done < len;) {
                ssize_t n = pwrite(fd, (const uint8_t *) buf + done, len - done, (off_t) (pos + done));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return -EIO;
                done += (size_t) n;
        }
        return 0;
}

void image_changed(struct cryptdev *d) {
        __atomic_add_fetch(&d->changes, 1, __ATOMIC_RELEASE);
}

/* The volume's size: fixed at start, grown by SIGUSR1 (volume_grow()) while
 * workers run, hence atomic. */
uint64_t volume_size(const struct cryptdev *d) {
        return __atomic_load_n(&d->opt.size, __ATOMIC_ACQUIRE);
}

void volume_grow(struct cryptdev *d) {
        uint64_t ss = d->opt.sector_size, old = volume_size(d), size;
        struct stat st;

        if (fstat(d->image_fd, &st) < 0) {
                log_error_errno(errno, "cannot stat the image to grow the volume: %m");
                return;
        }
        if ((uint64_t) st.st_size <= d->opt.offset) {
                log_error("cannot grow the volume: the image ends before its data segment");
                return;
        }
        size = ((uint64_t) st.st_size - d->opt.offset) / ss * ss;
        if (size <= old || size > (uint64_t) INT64_MAX - d->opt.offset)
                return;
        __atomic_store_n(&d->opt.size, size, __ATOMIC_RELEASE);
        fuse_lowlevel_notify_inval_inode(d->se, INO_VOLUME, -1, 0);
        log_info("volume grown from %" PRIu64 " to %" PRIu64 " bytes", old, size);
}

/* Check a request against the volume: sector-aligned, at most IO_MAX, inside
 * the volume. Reads at or past the end are shortened like a file's. */
static int io_range(const struct cryptdev *d, off_t off, size_t *size, bool is_read) {
        uint64_t ss = d->opt.sector_size, pos = (uint64_t) off, vsize = volume_size(d);

        if (off < 0 || pos % ss != 0 || *size % ss != 0 || *size > IO_MAX)
                return -EINVAL;
        if (pos >= vsize || *size > vsize - pos) {
                if (!is_read)
                        return -ENOSPC;
                *size = pos >= vsize ? 0 : vsize - pos;
        }
        return 0;
}

/* plain64 counts 512-byte units from the start of the data segment. */
static uint64_t iv_for(const struct cryptdev *d, off_t off) {
        return d->opt.iv_tweak + (uint64_t) off / 512;
}

static bool all_zero(const uint8_t *p, size_t n) {
        return p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

/* Decrypt what was read, except sectors whose ciphertext is all zeros: those
 * are holes (never written, or discarded by fallocate(PUNCH_HOLE)) and read
 * as zeros, as a discarded or write-zeroed block must. A real ciphertext
 * sector is all zeros with probability 2^-(8*sector size). */
static int decrypt_data(const struct cryptdev *d, struct worker *w, size_t size, off_t off) {
        size_t ss = d->opt.sector_size, run = 0;
        int r;

        for (size_t i = 0; i <= size; i += ss) {
                bool hole = i < size && all_zero(w->io + i, ss);

                if (i < size && !hole) {
                        run += ss;
                        continue;
                }
                if (run > 0) {
                        r = xts_decrypt(w->xts, w->io + i - run, w->io + i - run, run, d->opt.sector_size,
                                        iv_for(d, off + (off_t) (i - run)));
                        if (r < 0)
                                return r;
                        run = 0;
                }
        }
        return 0;
}

/* ---- FUSE operations ---- */

static void volume_stat(const struct cryptdev *d, fuse_ino_t ino, struct stat *st) {
        memset(st, 0, sizeof(*st));
        st->st_ino = ino;
        st->st_uid = 0;
        st->st_gid = 0;
        if (ino == INO_ROOT) {
                st->st_mode = S_IFDIR | 0700;
                st->st_nlink = 2;
        } else {
                st->st_mode = S_IFREG | 0600;
                st->st_nlink = 1;
                st->st_size = (off_t) volume_size(d);
                st->st_blocks = (blkcnt_t) (volume_size(d) / 512);
                st->st_blksize = (blksize_t) d->opt.sector_size;
        }
}

static void op_init(void *userdata, struct fuse_conn_info *conn) {
        struct cryptdev *d = userdata;

        conn->max_write = IO_MAX;
        /* Every write goes straight to the image; no kernel cache to keep. */
        conn->want &= ~(unsigned) FUSE_CAP_WRITEBACK_CACHE;

        pthread_mutex_lock(&d->lock);
        d->initialized = true;
        pthread_cond_broadcast(&d->cond);
        pthread_mutex_unlock(&d->lock);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
        struct cryptdev *d = fuse_req_userdata(req);
        struct fuse_entry_param e = {
                .ino = INO_VOLUME,
                .attr_timeout = ATTR_TIMEOUT,
                .entry_timeout = ATTR_TIMEOUT,
        };

        if (parent != INO_ROOT || !streq(name, VOLUME_NAME)) {
                fuse_reply_err(req, ENOENT);
                return;
        }
        volume_stat(d, INO_VOLUME, &e.attr);
        fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
        struct cryptdev *d = fuse_req_userdata(req);
        struct stat st;

        if (ino != INO_ROOT && ino != INO_VOLUME) {
                fuse_reply_err(req, ENOENT);
                return;
        }
        volume_stat(d, ino, &st);
        fuse_reply_attr(req, &st, ATTR_TIMEOUT);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
        static const char *const names[] = { ".", "..", VOLUME_NAME };
        static const fuse_ino_t inos[] = { INO_ROOT, INO_ROOT, INO_VOLUME };
        char buf[512];
        size_t used = 0;

        if (ino != INO_ROOT) {
                fuse_reply_err(req, ENOTDIR);
                return;
        }
        if (size > sizeof(buf))
                size = sizeof(buf);
        for (off_t i = off; i >= 0 && i < (off_t) ELEMENTSOF(names); i++) {
                struct stat st = { .st_ino = inos[i], .st_mode = inos[i] == INO_ROOT ? S_IFDIR : S_IFREG };
                size_t n = fuse_add_direntry(req, buf + used, size - used, names[i], &st, i + 1);

                if (n > size - used)
                        break;
                used += n;
        }
        fuse_reply_buf(req, buf, used);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
        if (ino != INO_VOLUME) {
                fuse_reply_err(req, ino == INO_ROOT ? EISDIR : ENOENT);
                return;
        }
        if (fi->flags & O_TRUNC) {
                fuse_reply_err(req, EPERM);
                return;
        }
        /* No page cache for the volume: the loop device above has its own,
         * and caching here would double memory use and hide I/O errors. */
        fi->direct_io = 1;
        fi->keep_cache = 0;
        fuse_reply_open(req, fi);
}

/* Counts a READ and how many are served at once (the loop device sends
 * them asynchronously, up to FUSE's max_background). */
static void reads_enter(struct cryptdev *d) {
        unsigned now = __atomic_add_fetch(&d->reads_now, 1, __ATOMIC_RELAXED);
        unsigned peak = __atomic_load_n(&d->reads_peak, __ATOMIC_RELAXED);

        __atomic_add_fetch(&d->reads, 1, __ATOMIC_RELAXED);
        while (now > peak &&
               !__atomic_compare_exchange_n(&d->reads_peak, &peak, now, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
                ;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
        struct cryptdev *d = fuse_req_userdata(req);
        struct worker *w = current_worker;
        int r;

        reads_enter(d);
        r = io_range(d, off, &size, true);
        if (r >= 0)
                r = key_enter(d);
        if (r >= 0) {
                if (size > 0)
                        r = image_pread(d->image_fd, w->io, size, d->opt.offset + (uint64_t) off);
                if (r >= 0 && size > 0)
                        r = decrypt_data(d, w, size, off);
                key_leave(d);
        }
        if (r < 0) {
                if (r != -EINVAL)
                        log_error_errno(r, "read of %zu bytes at %jd failed: %m", size, (intmax_t) off);
                fuse_reply_err(req, -r);
        } else
                fuse_reply_buf(req, (const char *) w->io, size);
        __atomic_sub_fetch(&d->reads_now, 1, __ATOMIC_RELAXED);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi) {
        struct cryptdev *d = fuse_req_userdata(req);
        struct worker *w = current_worker;
        int r;

        /* buf lies inside the request buffer, unaligned: encrypting into the
         * aligned I/O buffer is also the copy O_DIRECT needs. */
        __atomic_add_fetch(&d->writes, 1, __ATOMIC_RELAXED);
        r = io_range(d, off, &size, false);
        if (r >= 0)
                r = key_enter(d);
        if (r >= 0) {
                r = xts_encrypt(w->xts, buf, w->io, size, d->opt.sector_size, iv_for(d, off));
                if (r >= 0) {
                        r = image_pwrite(d->image_fd, w->io, size, d->opt.offset + (uint64_t) off);
                        image_changed(d);
                        if (r == -ENOSPC || r == -EDQUOT)
                                note_host_full(d);
                }
                key_leave(d);
        }
        if (r < 0) {
                if (r != -EINVAL && r != -ENOSPC)
                        log_error_errno(r, "write of %zu bytes at %jd failed: %m", size, (intmax_t) off);
                fuse_reply_err(req, -r);
                return;
        }
        fuse_reply_write(req, size);
}

/* The loop device's flush. O_DIRECT writes bypass the cache but not the
 * disk's write cache or the image file's metadata (allocation of sparse
 * blocks): fdatasync() the image. A flush must cover the writes completed
 * before it was issued; a write is counted (image_changed()) before it is
 * answered, so when no change completed since the changes a successful
 * fdatasync() started with, there is nothing to sync: ext4's journal commit
 * sends such back-to-back flushes (before and after its commit block). */
static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi) {
        struct cryptdev *d = fuse_req_userdata(req);
        uint64_t seen = __atomic_load_n(&d->changes, __ATOMIC_ACQUIRE);
        uint64_t done = __atomic_load_n(&d->durable, __ATOMIC_ACQUIRE);

        __atomic_add_fetch(&d->flushes, 1, __ATOMIC_RELAXED);
        if (seen == done) {
                fuse_reply_err(req, 0);
                return;
        }
        __atomic_add_fetch(&d->syncs, 1, __ATOMIC_RELAXED);
        if (fdatasync(d->image_fd) < 0) {
                int r = negative_errno();

                log_error_errno(r, "fdatasync of the image failed: %m");
                fuse_reply_err(req, -r);
                return;
        }
        /* Flushes may finish out of order: durable only grows. */
        while (done < seen &&
               !__atomic_compare_exchange_n(&d->durable, &done, seen, false, __ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
                ;
        fuse_reply_err(req, 0);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
        fuse_reply_err(req, 0);
}

/* Encrypted zeros over a range, for FALLOC_FL_ZERO_RANGE (the loop device's
 * write-zeroes that must keep the blocks allocated). */
static int write_zeros(struct cryptdev *d, struct worker *w, uint64_t pos, uint64_t len) {
        int r = 0;

        while (len > 0 && r >= 0) {
                size_t n = len < IO_MAX ? (size_t) len : IO_MAX;

                memset(w->io, 0, n);
                r = xts_encrypt(w->xts, w->io, w->io, n, d->opt.sector_size, iv_for(d, (off_t) pos));
                if (r >= 0)
                        r = image_pwrite(d->image_fd, w->io, n, d->opt.offset + pos);
                if (r == -ENOSPC || r == -EDQUOT)
                        note_host_full(d);
                pos += n;
                len -= n;
        }
        return r;
}

/* Discard (the loop device turns DISCARD and WRITE_ZEROES into fallocate on
 * the volume): punch the range out of the image, so the host gets the space
 * back; holes read as zeros (decrypt_data()). Only with --discard=yes: a
 * punched image shows which blocks are in use, which some do not want. */
static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t length,
                         struct fuse_file_info *fi) {
        struct cryptdev *d = fuse_req_userdata(req);
        uint64_t ss = d->opt.sector_size, pos = (uint64_t) off, len = (uint64_t) length, vsize = volume_size(d);
        int r;

        if (!d->opt.discard || !(mode & FALLOC_FL_KEEP_SIZE) ||
            (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) ||
            !(mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))) {
                fuse_reply_err(req, EOPNOTSUPP);
                return;
        }
        if (off < 0 || length <= 0 || pos % ss != 0 || len % ss != 0 || pos >= vsize || len > vsize - pos) {
                fuse_reply_err(req, EINVAL);
                return;
        }
        r = key_enter(d); /* no image change while the key is wiped */
        if (r < 0) {
                fuse_reply_err(req, -r);
                return;
        }
        if (mode & FALLOC_FL_ZERO_RANGE)
                r = write_zeros(d, current_worker, pos, len);
        else
                r = fallocate(d->image_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                              (off_t) (d->opt.offset + pos), (off_t) len) < 0 ? negative_errno() : 0;
        image_changed(d);
        key_leave(d);
        if (r < 0)
                log_error_errno(r, "discard of %" PRIu64 " bytes at %" PRIu64 " failed: %m", len, pos);
        fuse_reply_err(req, -r);
}

const struct fuse_lowlevel_ops cryptdev_ops = {
        .init = op_init,
        .lookup = op_lookup,
        .getattr = op_getattr,
        .readdir = op_readdir,
        .open = op_open,
        .read = op_read,
        .write = op_write,
        .flush = op_flush,
        .fsync = op_fsync,
        .fallocate = op_fallocate,
};
