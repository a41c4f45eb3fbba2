/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* homefsd: the FUSE front of one home. Shared declarations.
 *
 * Concurrency in one paragraph: every request handler enters "the gate" (a
 * read lock, see gate.c) and leaves it after replying. Attach and Detach take
 * the gate for writing, so no handler ever sees a backing fd being closed
 * under it. Inode lookup counts and names are protected by the inode table's
 * shard mutexes (inode.c); open handles by list mutexes (handle.c, several
 * lists) that only open/release and Detach take. Read and write on a handle take nothing but
 * the gate's read side. */

/* 312: fuse_session_loop_mt() with the opaque fuse_loop_config (with 34 the
 * config would be read as the old struct and max_idle_threads would be 1). */
#define FUSE_USE_VERSION 312

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* homefsd is the only writer of the backing filesystem, so the kernel may
 * cache entries and attributes for long: an hour (an idle `git status` then
 * costs no round trip per file). Detach invalidates them all (gate.c). */
#define FRONT_TIMEOUT 3600.0

/* ---- inode.c: the inode table ---- */

struct inode {
        struct inode *next; /* hash chain, protected by the shard mutex */
        dev_t dev;
        ino_t ino;
        mode_t type; /* S_IFMT bits; never changes */
        /* How the inode is found again (fdcache.c); NULL where the backing
         * filesystem makes no handles: then fd is kept for life. Never
         * changes. */
        struct file_handle *fh;
        /* Protected by the fd cache's mutex (fdcache.c): a cached O_PATH
         * fd or -1, its place in the LRU list, request pins, and whether a
         * Detach revoked the inode (then it is never opened again). */
        int fd;
        struct inode *lru_prev, *lru_next;
        unsigned pins;
        bool revoked;
        bool forgotten; /* the kernel forgot it; the last unpin destroys it */
        /* Protected by the shard mutex: */
        uint64_t nlookup;
        bool hashed; /* in the table (current generation) */
        struct name *names; /* every name the kernel got for it, for */
                            /* invalidating its dentries on Detach */
        /* Kernel passthrough: one backing id per inode while any open
         * uses it (the kernel fails a second id for an open inode). */
        int backing_id;    /* 0: none */
        unsigned backing_users;
        /* Created by homefsd (O_EXCL), so without security.capability,
         * until a setxattr of that name: the kernel's GETXATTR of it (on
         * every chown, for killpriv) is answered without a syscall. Atomic;
         * only ever cleared after it was set. */
        bool no_fcaps;
};

/* One name of an inode: hard links have several. */
struct name {
        struct name *next;
        fuse_ino_t parent;
        char name[];
};

/* One dentry or inode to invalidate on Detach. */
struct inval {
        fuse_ino_t ino;
        fuse_ino_t parent;
        char *name; /* NULL: inode only */
};

int inode_table_init(void);
/* Finds the inode for st (taking a lookup reference) or adds one that owns
 * fd. fd is consumed in any case. Returns NULL on allocation failure. */
struct inode *inode_get(int fd, const struct stat *st, fuse_ino_t parent, const char *name);
/* The same for fd, an open file of the inode that stays the caller's: the
 * entry gets its handle and no cached fd (the next request that needs one
 * opens it by handle). NULL with errno EOPNOTSUPP where the filesystem makes
 * no handle: then use inode_get() with an O_PATH fd. created: fd was made
 * with O_EXCL; an entry made here is marked no_fcaps (one that exists was
 * added by a concurrent lookup, which may have let a setxattr in). */
struct inode *inode_get_open(int fd, bool created, const struct stat *st, fuse_ino_t parent, const char *name);
/* The known inode st describes, if its fd is cached, with a lookup
 * reference taken: no syscall needed. Else NULL. */
struct inode *inode_get_cached(const struct stat *st, fuse_ino_t parent, const char *name);
/* Whether the table has (dev, ino); a hint, no reference. */
bool inode_known(dev_t dev, ino_t ino);
/* The known inode st describes, which was name below dirfd when st was
 * taken: as inode_get_cached(), else, where the entry has no fd cached,
 * if name's file handle is the entry's (one name_to_handle_at()). NULL if
 * it is not known. */
struct inode *inode_get_named(int dirfd, const char *name, const struct stat *st, fuse_ino_t parent);
void inode_ref(struct inode *i);
void inode_unref(struct inode *i, uint64_t n);
/* After a rename: the inode (dev, ino), if known, is now at parent/name
 * instead of oldparent/oldname. */
void inode_renamed(dev_t dev, ino_t ino, fuse_ino_t oldparent, const char *oldname,
                   fuse_ino_t parent, const char *name);
/* Copies every known (nodeid, parent, name); free with inval_free(). */
int inode_table_snapshot(struct inval **ret, size_t *ret_n);
void inval_free(struct inval *v, size_t n);
/* Closes every fd and empties the table; the structures stay until the
 * kernel forgets them. Call with the gate held for writing. */
void inode_table_revoke(void);

/* Passthrough for an open of i: returns the inode's backing id (made
 * from fd on first use) with a reference, or a negative errno. */
int inode_backing_get(struct inode *i, int fd);
void inode_backing_put(struct inode *i);

/* At exit, after the session is gone: free every entry. */
void inode_table_free(void);
/* At op_leave(): unpin the request's inodes (fdcache.c), and free those
 * the kernel forgot meanwhile. */
void inode_unpin_all(void);
/* Inodes in the table (for the stats). */
size_t inode_table_count(void);

/* ---- fdcache.c: bounded cache of O_PATH fds, inodes found by handle ---- */

void fdcache_init(void);
/* The inode's O_PATH fd, pinned until op_leave(); opened by handle if not
 * cached. -ESTALE for a revoked inode or one that is gone. */
int fdcache_get(struct inode *i);
/* i's backing file opened by handle with flags (no cached fd needed). */
int fdcache_open_handle(const struct inode *i, int flags);
/* Give the cache an fd for i (consumed; closed if i has one already). */
void fdcache_adopt(struct inode *i, int fd);
/* Detach: drop i's fd; i is never opened again. */
void fdcache_revoke(struct inode *i);
/* The kernel forgot i: drop its fd. True if i may be destroyed now, false
 * if a request still pins it (its op_leave() destroys it). */
bool fdcache_forget(struct inode *i);
/* At op_leave(): unpin what this thread's request pinned. Returns the
 * forgotten inodes nothing pins any more, for the caller to destroy. */
#define FDCACHE_PINS_MAX 8U
unsigned fdcache_unpin_all(struct inode *dead[static FDCACHE_PINS_MAX]);
/* Out of fds: close half the cached ones. False if there was nothing to close. */
bool fdcache_shrink(void);
size_t fdcache_count(void);
/* Evaluates an open-like expression again after EMFILE, once the cache has
 * given fds back. */
#define RETRY_EMFILE(expr) ({                                           \
                int _fd = (expr);                                       \
                if (_fd < 0 && errno == EMFILE && fdcache_shrink())     \
                        _fd = (expr);                                   \
                _fd;                                                    \
        })

/* ---- handle.c: open files and directories ---- */

struct handle {
        struct handle *prev, *next; /* protected by the handle list mutex */
        int fd;      /* -1 once revoked: the handle then answers EIO */
        DIR *dir;    /* directories: owns fd */
        struct dirent *entry; /* readdir position (kernel serializes readdir per file) */
        off_t offset;
        struct inode *inode; /* files served by kernel passthrough: */
        bool passthrough;    /* holds a backing id reference of inode */
};

/* Both consume fd, also on failure (NULL, errno set). */
struct handle *handle_new_file(int fd);
struct handle *handle_new_dir(int fd);
void handle_free(struct handle *h);
/* Closes every handle's fd. Call with the gate held for writing. */
void handles_revoke(void);

static inline struct handle *handle_of(const struct fuse_file_info *fi) {
        return (struct handle *) (uintptr_t) fi->fh;
}

/* ---- gate.c: state, the gate, caller identity, attach/detach ---- */

enum front_state {
        FRONT_DETACHED,    /* no backing fs: everything but root getattr is ENOKEY */
        FRONT_DETACHING, /* handles still served, tree operations ENOKEY */
        FRONT_ATTACHED,
};

struct front {
        struct fuse_session *se;
        uid_t uid; /* the home's owner: locked root is shown as theirs */
        gid_t gid;
        struct inode root; /* FUSE_ROOT_ID; fd is the attached directory */
        enum front_state state; /* read with the gate held */
        /* Locked with sessions kept: requests wait outside the gate (set
         * with the gate held for writing and the hold mutex). */
        bool held;
};

extern struct front front;

void gate_init(void);
/* Tree operations: returns 0 with the gate held and the caller's identity
 * in place, or ENOKEY (a positive errno to reply with) and nothing held;
 * EIO for a request that was held and then detached. Both wait while the
 * front is held. */
int op_enter(fuse_req_t req);
/* Handle operations, release, forget: always enters. */
void op_enter_any(fuse_req_t req);
/* getattr, statfs: enters without waiting while held. */
void op_enter_cached(fuse_req_t req);
void op_leave(void);

/* The backing fd of a nodeid, or -ESTALE for one from an earlier attach. */
int inode_fd(fuse_ino_t ino);
static inline struct inode *inode_of(fuse_ino_t ino) {
        return ino == FUSE_ROOT_ID ? &front.root : (struct inode *) (uintptr_t) ino;
}

/* Whether the kernel drops every dentry on request (Detach), so that
 * negative entries below the root may be cached too. */
bool front_epoch_works(void);

/* Serialized against each other. front_attach consumes dirfd. A detach of
 * a held front fails the held requests with EIO. */
int front_attach(int dirfd);
int front_detach(void);
/* Hold every request once those in flight are done (-ENOKEY unless
 * attached); release them. */
int front_hold(void);
void front_release(void);

/* ---- passthrough-fuse3XX.c: kernel FUSE passthrough (meson picks the
 * file for the libfuse version) ---- */

/* After mounting: prepare the session (want: false for --no-passthrough). */
int passthrough_session(struct fuse_session *se, bool want);
/* From the INIT handler. */
void passthrough_init(struct fuse_conn_info *conn);
/* False once the kernel refused (logged once) or when not wanted. */
bool passthrough_enabled(void);
int passthrough_backing_open(int fd);
void passthrough_backing_close(int id);
/* Around fuse_reply_open/create: make that reply a passthrough open. */
void passthrough_reply_with(struct fuse_file_info *fi, int id);
void passthrough_reply_done(void);

/* passthrough-backing.c, shared by both variants: */
void passthrough_state_init(int dev_fd, bool want);
/* Off for good; logs why, once. */
void passthrough_refuse(const char *why);

/* Errors of BACKING_OPEN that will not go away: not negotiated, not
 * allowed, unknown ioctl, a backing file that cannot be stacked. */
static inline bool passthrough_refusal(int err) {
        return err == EOPNOTSUPP || err == EPERM || err == ENOTTY || err == EINVAL;
}

/* ---- fuse-mount.c: the mount, made on a directory fd ---- */

/* The mountpoint by a walk from "/" without symlinks through root's
 * directories only (made root's 0000 if missing): an O_PATH fd, or a
 * negative errno after logging the refusal with the directory at fault. */
int mountpoint_open(const char *mountpoint);
/* Mount the front (homefs:USER, fuse.homefs) on target_fd: the /dev/fuse fd
 * for libfuse ("/dev/fd/N"), and the mount's id in *ret_mnt_id. */
int fuse_mount_at(int target_fd, const char *user, uint64_t *ret_mnt_id);
/* Detach the mount at mountpoint if it is still mnt_id (and fuse_fd is
 * still connected): nothing else is ever unmounted. */
void fuse_unmount_at(const char *mountpoint, uint64_t mnt_id, int fuse_fd);

/* ---- killpriv.c: clearing suid/sgid (FUSE_HANDLE_KILLPRIV_V2) ---- */

/* Without CAP_FSETID in this thread's effective set, the backing
 * filesystem clears suid/sgid and capabilities as for an unprivileged
 * writer. Returns whether it was dropped; pass that to fsetid_restore(). */
bool fsetid_drop(void);
void fsetid_restore(bool dropped);
/* Whether the kernel would ask to clear suid/sgid for this caller's write,
 * truncate or O_TRUNC open (it lacks CAP_FSETID). */
bool killpriv_for_caller(fuse_req_t req);

/* ---- stats.c: request counters (proof that passthrough bypasses us) ---- */

enum stat_counter {
        STAT_LOOKUP, STAT_GETATTR, STAT_SETATTR, STAT_GETXATTR, STAT_OPEN,
        STAT_OPEN_PASSTHROUGH, STAT_CREATE, STAT_READ, STAT_WRITE,
        STAT_RELEASE, STAT_FSYNC, STAT_READDIR, STAT_READDIRPLUS, STAT_FORGET,
        STAT_MKNOD, STAT_MKDIR, STAT_SYMLINK, STAT_LINK, STAT_UNLINK, STAT_RMDIR,
        STAT_RENAME, STAT_READLINK, STAT_STATFS, STAT_OPENDIR, STAT_RELEASEDIR,
        STAT_FSYNCDIR, STAT_SETXATTR, STAT_LISTXATTR, STAT_REMOVEXATTR,
        STAT_FALLOCATE, STAT_LSEEK, STAT_COPY_FILE_RANGE,
        _STAT_MAX,
};

void stat_inc(enum stat_counter c);
/* Writes "name value" lines to path (atomically: temporary file, rename). */
int stats_write(const char *path);

/* ---- ops-*.c: request handlers ---- */

extern const struct fuse_lowlevel_ops front_ops;

/* ops-entry.c: look name up below parent and fill e (takes a reference).
 * Returns 0 or a negative errno. Call inside the gate. */
int entry_lookup(fuse_ino_t parent, const char *name, struct fuse_entry_param *e);
/* The same with the inode number the directory gave for name (0: none):
 * an inode homefsd knows by it is not opened again. */
int entry_lookup_hint(fuse_ino_t parent, const char *name, ino_t hint, struct fuse_entry_param *e);
int entry_of_open(fuse_ino_t parent, const char *name, int fd, bool created, struct fuse_entry_param *e);
/* Kernel-supplied names are single components, but never trust that. */
bool name_is_bad(const char *name);
/* The parent's fd for an operation on name below it, or a negative errno
 * (the parent is gone, or name is not a single component). */
int parent_fd_for(fuse_ino_t parent, const char *name);

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets);
void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev);
void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name);
void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t parent, const char *name);
void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
               fuse_ino_t newparent, const char *newname, unsigned int flags);

/* ops-attr.c */
void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int valid, struct fuse_file_info *fi);
void op_readlink(fuse_req_t req, fuse_ino_t ino);
void op_statfs(fuse_req_t req, fuse_ino_t ino);

/* ops-xattr.c */
void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size, int flags);
void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

/* ops-file.c */
void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, struct fuse_file_info *fi);
void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *bufv, off_t off, struct fuse_file_info *fi);
void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length, struct fuse_file_info *fi);
void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, struct fuse_file_info *fi);
void op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, struct fuse_file_info *fi_in,
                        fuse_ino_t ino_out, off_t off_out, struct fuse_file_info *fi_out,
                        size_t len, int flags);

/* ops-dir.c */
void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);

/* ---- front-agent.c: the link to homefs-agent ---- */

/* Starts the thread that registers with the agent and serves its calls. */
int agent_link_start(const char *user, const char *home);

/* ---- front-loop.c: the FUSE loop and its end ---- */

/* On the main thread, before any thread may call front_request_exit(). */
void front_loop_prepare(void);
/* libfuse's multi-threaded loop with at most max_threads workers, until
 * front_request_exit(); libfuse's result. */
int front_loop_run(struct fuse_session *se, unsigned max_threads);
/* Ends the FUSE loop (from any thread); main then unmounts and exits. */
void front_request_exit(int status);
/* EXIT_SUCCESS, or the failure the last front_request_exit() asked for. */
int front_exit_status(void);

/* ---- ops-attr.c ---- */

/* "/proc/self/fd/N": for the few calls that have no *at() form that works
 * on an O_PATH fd. */
#define PROC_FD_PATH_MAX 32
void proc_fd_path(char buf[static PROC_FD_PATH_MAX], int fd);
