/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Open files and directories. Each FUSE open gets its own backing fd (so
 * per-open-file state such as O_APPEND and flock() ownership matches the
 * kernel's view), wrapped in a handle whose address is the FUSE fh.
 *
 * All handles are on one list so that Detach can close their fds. The
 * handle itself stays allocated until the kernel releases it: after Detach
 * its fd is -1 and every operation on it answers EIO. */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "front.h"
#include "macro.h"

static pthread_mutex_t handles_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct handle handles = { .prev = &handles, .next = &handles, .fd = -1 };

static struct handle *handle_add(struct handle *h) {
        pthread_mutex_lock(&handles_mutex);
        h->next = handles.next;
        h->prev = &handles;
        handles.next->prev = h;
        handles.next = h;
        pthread_mutex_unlock(&handles_mutex);
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
        if (!h)
                return;
        pthread_mutex_lock(&handles_mutex);
        h->prev->next = h->next;
        h->next->prev = h->prev;
        pthread_mutex_unlock(&handles_mutex);
        if (h->passthrough)
                inode_backing_put(h->inode);
        handle_close(h);
        free(h);
}

void handles_revoke(void) {
        pthread_mutex_lock(&handles_mutex);
        for (struct handle *h = handles.next; h != &handles; h = h->next)
                handle_close(h);
        pthread_mutex_unlock(&handles_mutex);
}
