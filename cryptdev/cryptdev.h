/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* homefs-cryptdev internals shared by cryptdev.c (process set-up, workers,
 * life cycle) and cryptdev-fs.c (the FUSE operations). */

#define FUSE_USE_VERSION 314

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "xts.h"

/* max_write, and the largest read the kernel sends (max_pages follows
 * max_write): the size of each worker's I/O buffer. */
#define IO_MAX (1024 * 1024)

struct options {
        const char *image;
        uint64_t offset;
        uint64_t size;
        uint32_t sector_size;
        uint64_t iv_tweak;
        int key_fd;
        int ready_fd;
        unsigned threads;
        bool discard;              /* --discard=yes: fallocate punches holes */
        const char *mountpoint;
};

struct cryptdev;

struct worker {
        struct cryptdev *dev;
        pthread_t thread;
        bool running;
        struct xts_ctx *xts;
        void *recv;                /* FUSE request buffer */
        size_t recv_size;
        uint8_t *io;               /* IO_MAX, page-aligned: O_DIRECT and crypto */
};

struct cryptdev {
        struct options opt;
        int image_fd;
        int done_fd;               /* eventfd: a worker has stopped */
        struct fuse_session *se;
        struct worker *workers;
        pthread_mutex_t lock;      /* guards initialized and the key state */
        pthread_cond_t cond;
        bool initialized;
        int control_fd;            /* the agent's control socket, or -1 (cryptdev-key.c) */
        bool key_held;             /* key wiped: requests wait */
        bool key_dead;             /* requests fail with EIO */
        unsigned key_users;        /* requests using the key now */
        /* Flush elision (op_fsync()): changes to the image that have
         * completed, and the count that the last successful fdatasync()
         * covered. Starts at 1 and 0: the first flush always syncs. */
        uint64_t changes;
        uint64_t durable;
        uint64_t flushes, syncs;   /* FSYNC requests; fdatasync() calls */
        /* For the exit log: how the loop device drives the engine (a cold
         * sequential read is as fast as the READs it keeps in flight). */
        uint64_t reads, writes;    /* READ and WRITE requests */
        unsigned reads_now, reads_peak; /* READs being served; the most at once */
};

/* The worker serving the current request: handlers run on its thread. */
extern __thread struct worker *current_worker;

extern const struct fuse_lowlevel_ops cryptdev_ops;

/* Count a change to the image (a write or a discard, done or failed) before
 * the request is answered. */
void image_changed(struct cryptdev *d);

/* The volume's current size in bytes. */
uint64_t volume_size(const struct cryptdev *d);

/* After the image file grew (homefsctl resize): extend the volume to the
 * end of the image and make the kernel drop the cached size, so that the
 * loop device's LOOP_SET_CAPACITY sees it. Never shrinks. */
void volume_grow(struct cryptdev *d);


/* cryptdev-key.c: the key and the agent's control channel. */

/* The key from the key fd (kept as the control channel if it is a
 * SOCK_SEQPACKET socket), in secret memory. */
int key_receive(struct cryptdev *d, uint8_t **ret);
/* Set up every worker's AES-XTS context (those missing) and release. */
int key_install(struct cryptdev *d, const uint8_t *key);
/* Around a request that uses the key: waits while the key is wiped; -EIO
 * once told to fail. */
int key_enter(struct cryptdev *d);
void key_leave(struct cryptdev *d);
/* One message from the control channel (the main thread's poll loop). */
int control_handle(struct cryptdev *d);
