/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The O_PATH fd cache. An inode is referenced by its file handle
 * (name_to_handle_at, see inode.c); an O_PATH fd is only a cache of
 * open_by_handle_at() on the attached directory, kept in one LRU list whose
 * length is bounded from RLIMIT_NOFILE (as virtiofsd's --inode-file-handles
 * does). So the number of files the kernel may cache is not bounded by the
 * fd limit.
 *
 * A handler borrows an inode's fd with inode_fd(): that pins the inode on
 * the calling thread until op_leave(), so eviction by another thread never
 * closes an fd under a request. Pins are per thread and per request, and
 * requests touch at most a few inodes (rename: two). A pin also keeps the
 * entry itself: once a handler has replied, the kernel may forget the
 * inode before the handler reaches op_leave().
 *
 * Inodes without a handle (a backing filesystem that cannot make one) keep
 * their fd for life, outside the list: the old behaviour, bounded by the fd
 * limit. Every open that fails with EMFILE evicts and retries once
 * (RETRY_EMFILE): the home degrades to more open_by_handle_at() calls, it
 * never breaks. */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>

#include "front.h"
#include "log.h"
#include "macro.h"

#define CACHE_MIN 64U
#define CACHE_MAX 65536U
#define PINS_MAX 8U

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }
static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

static pthread_mutex_t lru_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct inode lru = { .lru_prev = &lru, .lru_next = &lru }; /* head: most recent */
static size_t lru_n;
static size_t capacity = CACHE_MIN;
static unsigned since_resize;

static __thread struct inode *pins[PINS_MAX];
static __thread unsigned n_pins;

/* Half the fd limit: the other half is for open files and directories.
 * Read again now and then: the limit may be lowered under us (prlimit). */
static void capacity_update(void) {
        struct rlimit rl;
        size_t c = CACHE_MIN;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
                c = (size_t) rl.rlim_cur / 2;
        else if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
                c = CACHE_MAX;
        capacity = min_size(max_size(c, CACHE_MIN), CACHE_MAX);
}

void fdcache_init(void) {
        capacity_update();
}

static void lru_unlink(struct inode *i) {
        i->lru_prev->lru_next = i->lru_next;
        i->lru_next->lru_prev = i->lru_prev;
        i->lru_prev = i->lru_next = NULL;
        lru_n--;
}

static void lru_push(struct inode *i) {
        i->lru_next = lru.lru_next;
        i->lru_prev = &lru;
        lru.lru_next->lru_prev = i;
        lru.lru_next = i;
        lru_n++;
}

/* Closes unpinned fds from the cold end until at most keep are cached.
 * Returns how many were closed. With lru_mutex held. */
static size_t lru_trim(size_t keep) {
        struct inode *i = lru.lru_prev;
        size_t closed = 0;

        while (lru_n > keep && i != &lru) {
                struct inode *prev = i->lru_prev;

                if (i->pins == 0) {
                        lru_unlink(i);
                        i->fd = safe_close(i->fd);
                        closed++;
                }
                i = prev;
        }
        return closed;
}

bool fdcache_shrink(void) {
        size_t closed;

        pthread_mutex_lock(&lru_mutex);
        capacity_update();
        closed = lru_trim(min_size(lru_n / 2, capacity));
        pthread_mutex_unlock(&lru_mutex);
        if (closed > 0)
                log_debug("out of fds: closed %zu cached ones", closed);
        return closed > 0;
}

/* With lru_mutex held: i now caches fd (i->fd was -1). */
static void cache_fd(struct inode *i, int fd) {
        i->fd = fd;
        if (!i->fh)
                return; /* kept for life, outside the list */
        lru_push(i);
        if (++since_resize >= 1024) {
                since_resize = 0;
                capacity_update();
        }
        if (lru_n > capacity)
                (void) lru_trim(capacity);
}

void fdcache_adopt(struct inode *i, int fd) {
        pthread_mutex_lock(&lru_mutex);
        if (i->fd < 0 && !i->revoked) {
                cache_fd(i, fd);
                fd = -1;
        }
        pthread_mutex_unlock(&lru_mutex);
        safe_close(fd);
}

/* With lru_mutex held. */
static void pin(struct inode *i) {
        for (unsigned k = 0; k < n_pins; k++)
                if (pins[k] == i)
                        return;
        if (n_pins >= PINS_MAX) {
                /* Never expected: no request touches that many inodes. */
                log_warning("too many inodes in one request; not pinning");
                return;
        }
        i->pins++;
        pins[n_pins++] = i;
}

void fdcache_unpin_all(void) {
        struct inode *dead[PINS_MAX];
        unsigned n_dead = 0;

        if (n_pins == 0)
                return;
        pthread_mutex_lock(&lru_mutex);
        for (unsigned k = 0; k < n_pins; k++)
                if (--pins[k]->pins == 0 && pins[k]->forgotten)
                        dead[n_dead++] = pins[k];
        pthread_mutex_unlock(&lru_mutex);
        n_pins = 0;
        for (unsigned k = 0; k < n_dead; k++)
                inode_destroy(dead[k]);
}

int fdcache_open_handle(const struct inode *i, int flags) {
        int fd;

        if (!i->fh)
                return -ESTALE;
        fd = RETRY_EMFILE(open_by_handle_at(front.root.fd, i->fh, flags | O_CLOEXEC));
        return fd >= 0 ? fd : negative_errno();
}

int fdcache_get(struct inode *i) {
        int fd;

        pthread_mutex_lock(&lru_mutex);
        if (i->revoked)
                fd = -ESTALE;
        else if ((fd = i->fd) >= 0) {
                if (i->lru_next && i != lru.lru_next) { /* to the hot end */
                        lru_unlink(i);
                        lru_push(i);
                }
                pin(i);
        }
        pthread_mutex_unlock(&lru_mutex);
        if (fd >= 0 || fd == -ESTALE)
                return fd;

        /* Not cached: open by handle, outside the lock. */
        fd = fdcache_open_handle(i, O_PATH);
        if (fd < 0)
                return fd;
        pthread_mutex_lock(&lru_mutex);
        if (i->revoked) { /* a Detach cannot run during a request; be safe */
                safe_close(fd);
                fd = -ESTALE;
        } else if (i->fd >= 0) { /* another thread was faster */
                safe_close(fd);
                fd = i->fd;
                pin(i);
        } else {
                pin(i);
                cache_fd(i, fd);
        }
        pthread_mutex_unlock(&lru_mutex);
        return fd;
}

/* With lru_mutex held: out of the list, fd closed (returned to close). */
static int uncache(struct inode *i) {
        int fd = i->fd;

        if (i->lru_next)
                lru_unlink(i);
        i->fd = -1;
        return fd;
}

void fdcache_revoke(struct inode *i) {
        int fd;

        pthread_mutex_lock(&lru_mutex);
        fd = uncache(i);
        i->revoked = true;
        pthread_mutex_unlock(&lru_mutex);
        safe_close(fd);
}

bool fdcache_forget(struct inode *i) {
        bool pinned;
        int fd;

        pthread_mutex_lock(&lru_mutex);
        fd = uncache(i);
        /* A request that has replied already may still hold a pin until its
         * op_leave(): then that unpin destroys the inode. */
        pinned = i->pins > 0;
        i->forgotten = true;
        pthread_mutex_unlock(&lru_mutex);
        safe_close(fd);
        return !pinned;
}

size_t fdcache_count(void) {
        size_t n;

        pthread_mutex_lock(&lru_mutex);
        n = lru_n;
        pthread_mutex_unlock(&lru_mutex);
        return n;
}
