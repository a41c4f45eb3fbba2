/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The front's state (locked, detaching, attached), the gate every request
 * passes, the caller's identity, and Attach/Detach.
 *
 * The gate is a writer-preferring rwlock: requests take it for reading,
 * Attach and Detach for writing. That is what makes closing backing fds
 * safe without any lock on the read/write path. No handler may take the
 * read side twice (a waiting writer would deadlock it). */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/fsuid.h>
#include <unistd.h>

#include "front.h"
#include "log.h"
#include "macro.h"

struct front front = {
        .root = { .fd = -1, .type = S_IFDIR, .nlookup = 1 },
        .state = FRONT_DETACHED,
};

static pthread_rwlock_t gate;
/* Serializes Attach and Detach (agent thread, signal thread). */
static pthread_mutex_t transition_mutex = PTHREAD_MUTEX_INITIALIZER;
/* Held requests wait here, outside the gate, so that Detach can take it. */
static pthread_mutex_t hold_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cond = PTHREAD_COND_INITIALIZER;

void gate_init(void) {
        pthread_rwlockattr_t a;

        pthread_rwlockattr_init(&a);
        pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        pthread_rwlock_init(&gate, &a);
        pthread_rwlockattr_destroy(&a);
}

/* fsuid/fsgid are per thread. The worker threads only ever run requests, and
 * every request sets the identity on entry, so instead of switching back to
 * 0 after each request we remember what is set and skip the two syscalls
 * when the same user calls again (the common case: the home's owner).
 * Threads start with an unknown identity (a new thread inherits its
 * creator's fsuid). Capabilities survive the switch because main() sets
 * SECBIT_NO_SETUID_FIXUP; access checks are the kernel's (default_permissions). */
static __thread bool identity_known;
static __thread uid_t identity_uid;
static __thread gid_t identity_gid;

static void identity_set(fuse_req_t req) {
        const struct fuse_ctx *ctx = fuse_req_ctx(req);

        if (identity_known && identity_uid == ctx->uid && identity_gid == ctx->gid)
                return;
        /* Group first: it does not depend on the fsuid, but keep the order
         * that is right for the general case. */
        (void) setfsgid(ctx->gid);
        (void) setfsuid(ctx->uid);
        identity_uid = ctx->uid;
        identity_gid = ctx->gid;
        identity_known = true;
}

/* Take the gate for reading; while the front is held, wait outside it.
 * True if the request waited. */
static bool gate_enter(void) {
        bool waited = false;

        for (;;) {
                pthread_rwlock_rdlock(&gate);
                if (!front.held)
                        return waited;
                pthread_rwlock_unlock(&gate);
                pthread_mutex_lock(&hold_mutex);
                while (front.held)
                        pthread_cond_wait(&hold_cond, &hold_mutex);
                pthread_mutex_unlock(&hold_mutex);
                waited = true;
        }
}

/* Call with the gate held for writing. */
static void hold_set(bool held) {
        pthread_mutex_lock(&hold_mutex);
        front.held = held;
        if (!held)
                pthread_cond_broadcast(&hold_cond);
        pthread_mutex_unlock(&hold_mutex);
}

int op_enter(fuse_req_t req) {
        bool waited = gate_enter();

        if (front.state != FRONT_ATTACHED) {
                pthread_rwlock_unlock(&gate);
                return waited ? EIO : ENOKEY;
        }
        identity_set(req);
        return 0;
}

void op_enter_any(fuse_req_t req) {
        (void) gate_enter();
        identity_set(req);
}

/* fstat and fstatfs of inodes we hold open are answered from the backing
 * filesystem's memory, never its disk: they need not wait while held (and
 * the agent's own checks stat the home directory while it is locked). */
void op_enter_cached(fuse_req_t req) {
        pthread_rwlock_rdlock(&gate);
        identity_set(req);
}

void op_leave(void) {
        fdcache_unpin_all();
        pthread_rwlock_unlock(&gate);
}

int inode_fd(fuse_ino_t ino) {
        if (ino == FUSE_ROOT_ID)
                return front.root.fd >= 0 ? front.root.fd : -ESTALE;
        return fdcache_get(inode_of(ino));
}

/* Ask the kernel to write back and drop everything it caches for the tree:
 * page cache and attributes of every inode it has from us, and the dentries
 * by their last known name (dropping a directory's dentry drops everything
 * cached below it, negative entries included). Runs with no lock held:
 * the kernel may need worker threads (writing back dirty mmap pages) or
 * directory locks held by requests in flight to complete these. */
/* FUSE_NOTIFY_INC_EPOCH (Linux 6.16, protocol 7.44; libfuse 3.14 has no
 * call for it): the kernel revalidates every dentry it holds, negative ones
 * included, before it uses it again. */
#define K_FUSE_NOTIFY_INC_EPOCH 8

static atomic_int epoch_works = -1; /* -1: not known yet */

static bool notify_inc_epoch(void) {
        struct {
                uint32_t len;
                int32_t error; /* the notification code */
                uint64_t unique; /* 0: a notification */
        } h = { sizeof(h), K_FUSE_NOTIFY_INC_EPOCH, 0 };
        bool ok = write(fuse_session_fd(front.se), &h, sizeof(h)) == (ssize_t) sizeof(h);

        atomic_store(&epoch_works, ok);
        return ok;
}

bool front_epoch_works(void) {
        int w = atomic_load(&epoch_works);

        /* Probe once: a new epoch only makes the kernel look names up again. */
        return w >= 0 ? w : notify_inc_epoch();
}

static void invalidate_kernel_caches(void) {
        struct inval *v = NULL;
        size_t n = 0;
        int r;

        if (!front.se)
                return;

        r = inode_table_snapshot(&v, &n);
        if (r < 0)
                log_warning_errno(r, "cannot list inodes to invalidate, kernel caches stay until they time out: %m");

        for (size_t k = 0; k < n; k++)
                (void) fuse_lowlevel_notify_inval_inode(front.se, v[k].ino, 0, 0);
        for (size_t k = 0; k < n; k++)
                if (v[k].name)
                        (void) fuse_lowlevel_notify_inval_entry(front.se, v[k].parent, v[k].name, strlen(v[k].name));
        (void) fuse_lowlevel_notify_inval_inode(front.se, FUSE_ROOT_ID, 0, 0);
        /* And every dentry, also names homefsd does not know of (negative
         * entries below the root): */
        if (!notify_inc_epoch())
                log_debug("no FUSE_NOTIFY_INC_EPOCH (Linux < 6.16): negative entries below the root are not cached");

        log_debug("invalidated %zu inodes", n);
        inval_free(v, n);
}

/* Any state change ends a hold: held requests go on and meet the new state. */
static void set_state(enum front_state s) {
        pthread_rwlock_wrlock(&gate);
        front.state = s;
        if (front.held)
                hold_set(false);
        pthread_rwlock_unlock(&gate);
}

int front_hold(void) {
        int r = 0;

        pthread_mutex_lock(&transition_mutex);
        /* Taking the gate for writing waits for requests in flight. */
        pthread_rwlock_wrlock(&gate);
        if (front.state == FRONT_ATTACHED)
                hold_set(true);
        else
                r = -ENOKEY;
        pthread_rwlock_unlock(&gate);
        pthread_mutex_unlock(&transition_mutex);
        if (r == 0)
                log_info("holding requests: locked, sessions kept");
        return r;
}

void front_release(void) {
        pthread_mutex_lock(&transition_mutex);
        pthread_rwlock_wrlock(&gate);
        hold_set(false);
        pthread_rwlock_unlock(&gate);
        pthread_mutex_unlock(&transition_mutex);
        log_info("released held requests: active");
}

static int detach_unlocked(void) {
        if (front.state == FRONT_DETACHED)
                return 0;

        /* A held front (locked with sessions kept): the engine below already
         * fails every I/O, so held requests now go on and fail with EIO
         * (set_state ends the hold), and the writeback below ends at once. */

        /* First refuse new lookups and opens, so that nothing new enters the
         * kernel's caches, while handles still work for the writeback. */
        set_state(FRONT_DETACHING);
        invalidate_kernel_caches();

        /* Taking the gate for writing waits for requests in flight. */
        pthread_rwlock_wrlock(&gate);
        front.state = FRONT_DETACHED;
        handles_revoke();
        inode_table_revoke();
        front.root.fd = safe_close(front.root.fd);
        pthread_rwlock_unlock(&gate);

        log_info("detached: inactive");
        return 0;
}

int front_detach(void) {
        int r;

        pthread_mutex_lock(&transition_mutex);
        r = detach_unlocked();
        pthread_mutex_unlock(&transition_mutex);
        return r;
}

int front_attach(int dirfd) {
        struct stat st;
        int r;

        if (fstat(dirfd, &st) < 0) {
                r = negative_errno();
                safe_close(dirfd);
                return log_error_errno(r, "cannot stat the directory to attach: %m");
        }
        if (!S_ISDIR(st.st_mode)) {
                safe_close(dirfd);
                return log_error_errno(ENOTDIR, "refusing to attach something that is not a directory");
        }

        pthread_mutex_lock(&transition_mutex);
        /* A new Attach replaces the old one; it starts from scratch. */
        (void) detach_unlocked();

        pthread_rwlock_wrlock(&gate);
        front.root.fd = dirfd;
        front.root.dev = st.st_dev;
        front.root.ino = st.st_ino;
        front.state = FRONT_ATTACHED;
        pthread_rwlock_unlock(&gate);

        /* The locked root's attributes may be cached. */
        if (front.se)
                (void) fuse_lowlevel_notify_inval_inode(front.se, FUSE_ROOT_ID, 0, 0);
        pthread_mutex_unlock(&transition_mutex);

        log_info("attached: active");
        return 0;
}
