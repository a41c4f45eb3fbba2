/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Open files and directories. Each FUSE open gets its own backing fd (so
 * per-open-file state such as O_APPEND and flock() ownership matches the
 * kernel's view), wrapped in a handle whose address is the FUSE fh.
 *
 * All handles are on lists so that Detach can close their fds: several
 * lists, each with its own mutex, so that opens and releases on different
 * threads do not contend on one lock. The handle itself stays allocated
 * until the kernel releases it: after Detach its fd is -1 and every
 * operation on it answers EIO. */

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "front.h"
#include "macro.h"

#define LISTS 16U

struct handle_list {
        pthread_mutex_t mutex;
        struct handle head;
};

static struct handle_list lists[LISTS];
static pthread_once_t lists_once = PTHREAD_ONCE_INIT;

static void lists_init(void) {
        for (size_t k = 0; k < LISTS; k++) {
                pthread_mutex_init(&lists[k].mutex, NULL);
                lists[k].head = (struct handle) { .prev = &lists[k].head, .next = &lists[k].head, .fd = -1 };
        }
}

static struct handle_list *list_of(const struct handle *h) {
        /* Allocations are 16-byte aligned: skip the bits that never vary. */
        return &lists[((uintptr_t) h >> 4) % LISTS];
}

static struct handle *handle_add(struct handle *h) {
        struct handle_list *l;

        pthread_once(&lists_once, lists_init);
        l = list_of(h);
        pthread_mutex_lock(&l->mutex);
        h->next = l->head.next;
        h->prev = &l->head;
        l->head.next->prev = h;
        l->head.next = h;
        pthread_mutex_unlock(&l->mutex);
        return h;
}

struct handle *handle_new_file(int fd) {
        struct handle *h = calloc(1, sizeof(*h));

        if (!h) {
                safe_close(fd);
                errno = ENOMEM;
                return NULL;
        }
        h->fd = fd;
        return handle_add(h);
}

struct handle *handle_new_dir(int fd) {
        struct handle *h = calloc(1, sizeof(*h));

        if (!h) {
                safe_close(fd);
                errno = ENOMEM;
                return NULL;
        }
        h->dir = fdopendir(fd);
        if (!h->dir) {
                safe_close(fd);
                free(h);
                return NULL;
        }
        h->fd = fd;
        return handle_add(h);
}

static void handle_close(struct handle *h) {
        if (h->dir)
                (void) closedir(h->dir); /* closes fd as well */
        else
                safe_close(h->fd);
        h->dir = NULL;
        h->entry = NULL;
        h->fd = -1;
}

void handle_free(struct handle *h) {
        struct handle_list *l;

        if (!h)
                return;
        l = list_of(h);
        pthread_mutex_lock(&l->mutex);
        h->prev->next = h->next;
        h->next->prev = h->prev;
        pthread_mutex_unlock(&l->mutex);
        if (h->passthrough)
                inode_backing_put(h->inode);
        handle_close(h);
        free(h);
}

void handles_revoke(void) {
        pthread_once(&lists_once, lists_init);
        for (size_t k = 0; k < LISTS; k++) {
                struct handle_list *l = &lists[k];

                pthread_mutex_lock(&l->mutex);
                for (struct handle *h = l->head.next; h != &l->head; h = h->next)
                        handle_close(h);
                pthread_mutex_unlock(&l->mutex);
        }
}
