/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The inode table: one entry per backing inode the kernel knows about, keyed
 * by (st_dev, st_ino), holding its file handle (an O_PATH fd only while
 * fdcache.c caches one), the kernel's lookup count and every name the kernel
 * got for it.
 * The nodeid handed to the kernel is the entry's address, as in libfuse's
 * passthrough_ll: an entry lives until the kernel forgets it, also across a
 * Detach (then with fd -1), so a nodeid never points at freed memory and
 * never at an inode of a later Attach.
 *
 * The table is split into shards, each with its own mutex, so that lookups
 * in different places do not contend on one global lock. */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "front.h"
#include "log.h"
#include "macro.h"

#define SHARDS 64U
#define BUCKETS_INITIAL 64U

struct shard {
        pthread_mutex_t mutex;
        struct inode **buckets;
        size_t n_buckets; /* a power of two */
        size_t n_inodes;
        struct inode *orphans; /* revoked by a Detach, still known to the kernel */
};

static struct shard shards[SHARDS];

static uint64_t key_hash(dev_t dev, ino_t ino) {
        uint64_t h = (uint64_t) ino * 0x9E3779B97F4A7C15ULL;

        return h ^ ((uint64_t) dev * 0xC2B2AE3D27D4EB4FULL) ^ (h >> 29);
}

static struct shard *shard_of(dev_t dev, ino_t ino) {
        return &shards[key_hash(dev, ino) % SHARDS];
}

static struct inode **bucket_of(struct shard *s, dev_t dev, ino_t ino) {
        return &s->buckets[(key_hash(dev, ino) / SHARDS) & (s->n_buckets - 1)];
}

int inode_table_init(void) {
        for (size_t i = 0; i < SHARDS; i++) {
                pthread_mutex_init(&shards[i].mutex, NULL);
                shards[i].buckets = calloc(BUCKETS_INITIAL, sizeof(struct inode *));
                if (!shards[i].buckets)
                        return -ENOMEM;
                shards[i].n_buckets = BUCKETS_INITIAL;
        }
        return 0;
}

static struct inode *shard_find(struct shard *s, dev_t dev, ino_t ino) {
        for (struct inode *i = *bucket_of(s, dev, ino); i; i = i->next)
                if (i->dev == dev && i->ino == ino)
                        return i;
        return NULL;
}

/* Doubles the bucket array when chains get long. Failure is harmless. */
static void shard_grow(struct shard *s) {
        size_t n = s->n_buckets * 2;
        struct inode **b = calloc(n, sizeof(struct inode *));

        if (!b)
                return;
        for (size_t k = 0; k < s->n_buckets; k++) {
                struct inode *i = s->buckets[k];

                while (i) {
                        struct inode *next = i->next;
                        struct inode **slot = &b[(key_hash(i->dev, i->ino) / SHARDS) & (n - 1)];

                        i->next = *slot;
                        *slot = i;
                        i = next;
                }
        }
        free(s->buckets);
        s->buckets = b;
        s->n_buckets = n;
}

static void shard_insert(struct shard *s, struct inode *i) {
        struct inode **slot;

        if (s->n_inodes >= s->n_buckets * 2)
                shard_grow(s);
        slot = bucket_of(s, i->dev, i->ino);
        i->next = *slot;
        *slot = i;
        i->hashed = true;
        s->n_inodes++;
}

static void shard_remove(struct shard *s, struct inode *i) {
        for (struct inode **p = bucket_of(s, i->dev, i->ino); *p; p = &(*p)->next)
                if (*p == i) {
                        *p = i->next;
                        i->next = NULL;
                        i->hashed = false;
                        s->n_inodes--;
                        return;
                }
}

/* Orphans are few (what the kernel still held at a Detach) and go away as
 * the kernel forgets them; a list walk is fine. */
static void orphan_remove(struct shard *s, struct inode *i) {
        for (struct inode **p = &s->orphans; *p; p = &(*p)->next)
                if (*p == i) {
                        *p = i->next;
                        i->next = NULL;
                        return;
                }
}

/* Names: called with the shard mutex held. Out of memory, a name is not
 * recorded: it only serves invalidation at Detach, which the gate backs up
 * (requests for pre-lock inodes answer ENOKEY). Names that went away (an
 * unlink) stay until the inode is forgotten or renamed: invalidating a name
 * that is no longer there is harmless. */
#define NAMES_MAX 32U

static struct name **name_find(struct inode *i, fuse_ino_t parent, const char *name) {
        for (struct name **p = &i->names; *p; p = &(*p)->next)
                if ((*p)->parent == parent && streq((*p)->name, name))
                        return p;
        return NULL;
}

static void names_free(struct name *n) {
        while (n) {
                struct name *next = n->next;

                free(n);
                n = next;
        }
}

static void name_add(struct inode *i, fuse_ino_t parent, const char *name) {
        struct name *n, **p;
        size_t len = strlen(name), count = 0;

        if (name_find(i, parent, name))
                return;
        n = malloc(sizeof(*n) + len + 1);
        if (!n)
                return;
        n->parent = parent;
        memcpy(n->name, name, len + 1);
        n->next = i->names;
        i->names = n;
        /* Bounded: a file renamed back and forth, or with very many links,
         * loses its oldest names first. */
        for (p = &n->next; *p; p = &(*p)->next)
                if (++count >= NAMES_MAX) {
                        names_free(*p);
                        *p = NULL;
                        break;
                }
}

static void name_remove(struct inode *i, fuse_ino_t parent, const char *name) {
        struct name **p = name_find(i, parent, name), *n;

        if (!p)
                return;
        n = *p;
        *p = n->next;
        free(n);
}

static void inode_destroy(struct inode *i) {
        names_free(i->names);
        free(i->fh);
        free(i);
}

void inode_unpin_all(void) {
        struct inode *dead[FDCACHE_PINS_MAX];
        unsigned n = fdcache_unpin_all(dead);

        for (unsigned k = 0; k < n; k++)
                inode_destroy(dead[k]);
}

/* The handle of name below dirfd (flags: AT_EMPTY_PATH for dirfd's own
 * inode), or NULL if the filesystem makes none. */
static struct file_handle *handle_at(int dirfd, const char *name, int flags) {
        union {
                struct file_handle fh;
                char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
        } u = { .fh.handle_bytes = MAX_HANDLE_SZ };
        struct file_handle *fh;
        int mount_id;

        if (name_to_handle_at(dirfd, name, &u.fh, &mount_id, flags) < 0)
                return NULL;
        fh = malloc(sizeof(struct file_handle) + u.fh.handle_bytes);
        if (fh)
                memcpy(fh, &u.fh, sizeof(struct file_handle) + u.fh.handle_bytes);
        return fh;
}

static struct file_handle *handle_of_fd(int fd) {
        return handle_at(fd, "", AT_EMPTY_PATH);
}

static bool handles_equal(const struct file_handle *a, const struct file_handle *b) {
        return a->handle_type == b->handle_type && a->handle_bytes == b->handle_bytes &&
                memcmp(a->f_handle, b->f_handle, a->handle_bytes) == 0;
}

/* A table entry whose fd was evicted may stand for an inode that has been
 * deleted since, its number reused by the one just looked up. Then the old
 * entry leaves the table (it lives on until the kernel forgets it). Called
 * with the shard mutex held; fh is the looked-up inode's handle. */
static bool entry_is_other(struct inode *i, const struct file_handle *fh) {
        return i->fh && fh && !handles_equal(i->fh, fh);
}

struct inode *inode_get_cached(const struct stat *st, fuse_ino_t parent, const char *name) {
        struct shard *s = shard_of(st->st_dev, st->st_ino);
        struct inode *i;

        /* A known inode whose fd is cached. That fd keeps the inode alive,
         * so it cannot have been deleted and its number reused: it is the
         * inode st describes. (fd belongs to the fd cache's lock; reading
         * it here is only a hint, but any value >= 0 was true.) */
        pthread_mutex_lock(&s->mutex);
        i = shard_find(s, st->st_dev, st->st_ino);
        if (i && __atomic_load_n(&i->fd, __ATOMIC_RELAXED) >= 0) {
                i->nlookup++;
                name_add(i, parent, name);
        } else
                i = NULL;
        pthread_mutex_unlock(&s->mutex);
        return i;
}

bool inode_known(dev_t dev, ino_t ino) {
        struct shard *s = shard_of(dev, ino);
        bool known;

        pthread_mutex_lock(&s->mutex);
        known = shard_find(s, dev, ino) != NULL;
        pthread_mutex_unlock(&s->mutex);
        return known;
}

struct inode *inode_get_named(int dirfd, const char *name, const struct stat *st, fuse_ino_t parent) {
        struct inode *i = inode_get_cached(st, parent, name);
        struct shard *s = shard_of(st->st_dev, st->st_ino);
        struct file_handle *fh;

        if (i)
                return i;
        /* No fd keeps the inode alive: the entry may be one deleted since,
         * its number reused. Its handle says whether it is the same. */
        fh = handle_at(dirfd, name, 0);
        if (!fh)
                return NULL;
        pthread_mutex_lock(&s->mutex);
        i = shard_find(s, st->st_dev, st->st_ino);
        if (i && i->fh && handles_equal(i->fh, fh)) {
                i->nlookup++;
                name_add(i, parent, name);
        } else
                i = NULL;
        pthread_mutex_unlock(&s->mutex);
        free(fh);
        return i;
}

/* The slow path of inode_get() and inode_get_open(): fh is fd's handle
 * (taken over), adopt whether the entry takes fd for the fd cache, no_fcaps
 * the mark for an entry made here. */
static struct inode *inode_get_slow(int fd, struct file_handle *fh, bool adopt, bool no_fcaps,
                                    const struct stat *st, fuse_ino_t parent, const char *name) {
        struct shard *s = shard_of(st->st_dev, st->st_ino);
        struct inode *i, *fresh = calloc(1, sizeof(*fresh));

        if (!fresh) {
                free(fh);
                if (adopt)
                        safe_close(fd);
                errno = ENOMEM;
                return NULL;
        }

        pthread_mutex_lock(&s->mutex);
        i = shard_find(s, st->st_dev, st->st_ino);
        if (i && entry_is_other(i, fh)) {
                shard_remove(s, i);
                i->next = s->orphans;
                s->orphans = i;
                i = NULL;
        }
        if (!i) {
                i = TAKE_PTR(fresh);
                i->dev = st->st_dev;
                i->ino = st->st_ino;
                i->type = st->st_mode & S_IFMT;
                i->fh = TAKE_PTR(fh);
                i->fd = -1;
                i->no_fcaps = no_fcaps;
                shard_insert(s, i);
        }
        i->nlookup++;
        name_add(i, parent, name);
        pthread_mutex_unlock(&s->mutex);

        free(fresh);
        free(fh);
        /* The fd we have saves the next request an open_by_handle_at(). */
        if (adopt)
                fdcache_adopt(i, fd);
        return i;
}

struct inode *inode_get(int fd, const struct stat *st, fuse_ino_t parent, const char *name) {
        struct inode *i = inode_get_cached(st, parent, name);

        if (i) {
                safe_close(fd);
                return i;
        }
        /* Everything that needs a syscall or memory, outside the lock. */
        return inode_get_slow(fd, handle_of_fd(fd), true, false, st, parent, name);
}

struct inode *inode_get_open(int fd, bool created, const struct stat *st, fuse_ino_t parent, const char *name) {
        struct inode *i = inode_get_cached(st, parent, name);
        struct file_handle *fh;

        if (i)
                return i;
        fh = handle_of_fd(fd);
        if (!fh) {
                /* Without a handle the entry needs an O_PATH fd for life. */
                errno = EOPNOTSUPP;
                return NULL;
        }
        return inode_get_slow(fd, fh, false, created, st, parent, name);
}

void inode_ref(struct inode *i) {
        struct shard *s = shard_of(i->dev, i->ino);

        pthread_mutex_lock(&s->mutex);
        i->nlookup++;
        pthread_mutex_unlock(&s->mutex);
}

void inode_unref(struct inode *i, uint64_t n) {
        struct shard *s;
        bool gone;

        if (i == &front.root)
                return; /* the root's count is the kernel's business only */

        s = shard_of(i->dev, i->ino);
        pthread_mutex_lock(&s->mutex);
        if (n > i->nlookup) {
                log_warning("forget of %" PRIu64 " references, inode has %" PRIu64, n, i->nlookup);
                n = i->nlookup;
        }
        i->nlookup -= n;
        gone = i->nlookup == 0;
        if (gone && i->hashed)
                shard_remove(s, i);
        else if (gone)
                orphan_remove(s, i);
        pthread_mutex_unlock(&s->mutex);

        if (gone) {
                /* The kernel has no reference left, so no request can be
                 * using this entry any more. */
                if (fdcache_forget(i))
                        inode_destroy(i);
        }
}

void inode_renamed(dev_t dev, ino_t ino, fuse_ino_t oldparent, const char *oldname,
                   fuse_ino_t parent, const char *name) {
        struct shard *s = shard_of(dev, ino);
        struct inode *i;

        pthread_mutex_lock(&s->mutex);
        i = shard_find(s, dev, ino);
        if (i) {
                name_remove(i, oldparent, oldname);
                name_add(i, parent, name);
        }
        pthread_mutex_unlock(&s->mutex);
}

size_t inode_table_count(void) {
        size_t n = 0;

        for (size_t k = 0; k < SHARDS; k++) {
                pthread_mutex_lock(&shards[k].mutex);
                n += shards[k].n_inodes;
                pthread_mutex_unlock(&shards[k].mutex);
        }
        return n;
}

void inval_free(struct inval *v, size_t n) {
        for (size_t k = 0; k < n; k++)
                free(v[k].name);
        free(v);
}

static int inval_push(struct inval **v, size_t *n, size_t *cap, fuse_ino_t ino, fuse_ino_t parent, const char *name) {
        if (*n >= *cap) {
                size_t c = *cap ? *cap * 2 : 256;
                struct inval *nv = reallocarray(*v, c, sizeof(struct inval));

                if (!nv)
                        return -ENOMEM;
                *v = nv;
                *cap = c;
        }
        (*v)[*n] = (struct inval) { .ino = ino, .parent = parent, .name = name ? strdup(name) : NULL };
        if (name && !(*v)[*n].name)
                return -ENOMEM;
        (*n)++;
        return 0;
}

/* The inode, then each of its names. */
static int inval_append(struct inval **v, size_t *n, size_t *cap, const struct inode *i) {
        fuse_ino_t ino = (fuse_ino_t) (uintptr_t) i;
        int r = inval_push(v, n, cap, ino, 0, NULL);

        for (const struct name *m = i->names; m && r == 0; m = m->next)
                r = inval_push(v, n, cap, ino, m->parent, m->name);
        return r;
}

int inode_table_snapshot(struct inval **ret, size_t *ret_n) {
        struct inval *v = NULL;
        size_t n = 0, cap = 0;
        int r = 0;

        for (size_t k = 0; k < SHARDS && r == 0; k++) {
                struct shard *s = &shards[k];

                pthread_mutex_lock(&s->mutex);
                for (size_t b = 0; b < s->n_buckets && r == 0; b++)
                        for (struct inode *i = s->buckets[b]; i && r == 0; i = i->next)
                                r = inval_append(&v, &n, &cap, i);
                pthread_mutex_unlock(&s->mutex);
        }
        if (r < 0) {
                inval_free(v, n);
                return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int inode_backing_get(struct inode *i, int fd) {
        struct shard *s = shard_of(i->dev, i->ino);
        int id;

        pthread_mutex_lock(&s->mutex);
        if (i->backing_id <= 0) {
                /* The kernel runs passthrough writes with the credentials
                 * of this call: without CAP_FSETID, they clear suid/sgid
                 * (killpriv.c). */
                bool dropped = fsetid_drop();

                id = passthrough_backing_open(fd);
                fsetid_restore(dropped);
                if (id > 0)
                        i->backing_id = id;
        }
        id = i->backing_id;
        if (id > 0)
                i->backing_users++;
        pthread_mutex_unlock(&s->mutex);
        return id > 0 ? id : -EOPNOTSUPP;
}

void inode_backing_put(struct inode *i) {
        struct shard *s = shard_of(i->dev, i->ino);

        pthread_mutex_lock(&s->mutex);
        if (i->backing_users > 0 && --i->backing_users == 0 && i->backing_id > 0) {
                passthrough_backing_close(i->backing_id);
                i->backing_id = 0;
        }
        pthread_mutex_unlock(&s->mutex);
}

/* Detach: files already open keep their passthrough until the agent shuts
 * the backing filesystem down; closing the ids releases the backing files
 * the kernel holds for us. Their handles then release without an id. */
static void backing_revoke(struct inode *i) {
        if (i->backing_id > 0)
                passthrough_backing_close(i->backing_id);
        i->backing_id = 0;
}

void inode_table_revoke(void) {
        for (size_t k = 0; k < SHARDS; k++) {
                struct shard *s = &shards[k];

                pthread_mutex_lock(&s->mutex);
                for (size_t b = 0; b < s->n_buckets; b++) {
                        struct inode *i = s->buckets[b];

                        while (i) {
                                struct inode *next = i->next;

                                fdcache_revoke(i);
                                backing_revoke(i);
                                i->hashed = false;
                                i->next = s->orphans;
                                s->orphans = i;
                                i = next;
                        }
                        s->buckets[b] = NULL;
                }
                s->n_inodes = 0;
                pthread_mutex_unlock(&s->mutex);
        }
}

static void free_chain(struct inode *i) {
        while (i) {
                struct inode *next = i->next;

                safe_close(i->fd);
                inode_destroy(i);
                i = next;
        }
}

void inode_table_free(void) {
        for (size_t k = 0; k < SHARDS; k++) {
                struct shard *s = &shards[k];

                for (size_t b = 0; b < s->n_buckets; b++)
                        free_chain(s->buckets[b]);
                free_chain(s->orphans);
                free(s->buckets);
                *s = (struct shard) {};
        }
}
