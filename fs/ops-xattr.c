/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Extended attributes. The *xattr() calls do not take O_PATH fds, and this
 * libc has no *xattrat(): they go through /proc/self/fd/N, which resolves to
 * the inode itself (for a symlink, the link, not its target). */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <linux/capability.h>

#include "front.h"
#include "macro.h"

#define TRUSTED_PREFIX "trusted."

#define XATTR_CAPS "security.capability"

/* Resolve ino to its magic path, inside the gate; 0, or a positive errno
 * that has been answered already (then the gate is not held). */
static int xattr_path(fuse_req_t req, fuse_ino_t ino, char p[static PROC_FD_PATH_MAX]) {
        int fd = inode_fd(ino);

        if (fd < 0) {
                fuse_reply_err(req, -fd);
                op_leave();
                return -fd;
        }
        proc_fd_path(p, fd);
        return 0;
}

/* Enter and resolve ino to its magic path: as xattr_path(). */
static int xattr_enter(fuse_req_t req, fuse_ino_t ino, char p[static PROC_FD_PATH_MAX]) {
        int r = op_enter(req);

        if (r > 0) {
                fuse_reply_err(req, r);
                return r;
        }
        return xattr_path(req, ino, p);
}

static bool fcaps_absent(fuse_ino_t ino, const char *name) {
        return ino != FUSE_ROOT_ID && streq(name, XATTR_CAPS) &&
                __atomic_load_n(&inode_of(ino)->no_fcaps, __ATOMIC_ACQUIRE);
}

/* Shared reply for getxattr and listxattr: size 0 asks for the size only. */
static void reply_sized(fuse_req_t req, ssize_t n, const char *buf, size_t size) {
        if (n < 0)
                fuse_reply_err(req, errno);
        else if (size == 0)
                fuse_reply_xattr(req, (size_t) n);
        else
                fuse_reply_buf(req, buf, (size_t) n);
}

void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size) {
        stat_inc(STAT_GETXATTR);
        char p[PROC_FD_PATH_MAX];
        _cleanup_free_ char *buf = NULL;
        ssize_t n;
        int r;

        r = op_enter(req);
        if (r > 0)
                return (void) fuse_reply_err(req, r);
        if (fcaps_absent(ino, name)) {
                fuse_reply_err(req, ENODATA);
                op_leave();
                return;
        }
        if (xattr_path(req, ino, p) > 0)
                return;
        if (size > 0 && !(buf = malloc(size)))
                fuse_reply_err(req, ENOMEM);
        else {
                n = getxattr(p, name, buf, size);
                reply_sized(req, n, buf, size);
        }
        op_leave();
}

/* Does the caller hold CAP_SYS_ADMIN in the initial user namespace, which
 * is what native ext4 asks before it lists trusted.* names? homefsd itself
 * holds it, so the kernel's answer to our listxattr() says nothing about the
 * caller. Read from /proc (with the caller's fsuid, which may read its own
 * process); anything unreadable counts as unprivileged. The pid cannot be
 * reused meanwhile: the caller waits in listxattr() for this reply (if it is
 * killed, the reply goes nowhere). */
static bool caller_has_sys_admin(fuse_req_t req) {
        char path[64], line[256];
        struct stat caller_ns, own_ns;
        bool found = false;
        uint64_t caps = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int) fuse_req_ctx(req)->pid);
        if (stat(path, &caller_ns) < 0 || stat("/proc/self/ns/user", &own_ns) < 0 ||
            caller_ns.st_ino != own_ns.st_ino || caller_ns.st_dev != own_ns.st_dev)
                return false; /* a capability in a user namespace of one's own is not it */
        snprintf(path, sizeof(path), "/proc/%d/status", (int) fuse_req_ctx(req)->pid);
        f = fopen(path, "re");
        if (!f)
                return false;
        while (!found && fgets(line, sizeof(line), f))
                found = sscanf(line, "CapEff: %" SCNx64, &caps) == 1;
        fclose(f);
        return found && (caps & (UINT64_C(1) << CAP_SYS_ADMIN));
}

static bool list_has_trusted(const char *list, size_t len) {
        for (size_t in = 0; in < len; in += strnlen(list + in, len - in) + 1)
                if (strncmp(list + in, TRUSTED_PREFIX, strlen(TRUSTED_PREFIX)) == 0)
                        return true;
        return false;
}

/* Drop the trusted.* names from a list of NUL-terminated names, as native
 * ext4 does for a caller without CAP_SYS_ADMIN (security.* names are listed
 * to everyone natively, and so here). Returns the new length. */
static size_t filter_trusted(char *list, size_t len) {
        size_t in = 0, out = 0;

        while (in < len) {
                size_t n = strnlen(list + in, len - in) + 1;

                if (strncmp(list + in, TRUSTED_PREFIX, strlen(TRUSTED_PREFIX)) != 0) {
                        memmove(list + out, list + in, n);
                        out += n;
                }
                in += n;
        }
        return out;
}

void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
        stat_inc(STAT_LISTXATTR);
        char p[PROC_FD_PATH_MAX];
        _cleanup_free_ char *buf = NULL;
        ssize_t n;

        if (xattr_enter(req, ino, p) > 0)
                return;
        /* The whole list, to filter it (also for a size query: the size is
         * that of the filtered list). It may grow between the calls. */
        for (;;) {
                n = listxattr(p, NULL, 0);
                if (n <= 0)
                        break;
                free(buf);
                buf = malloc((size_t) n);
                if (!buf) {
                        errno = ENOMEM;
                        n = -1;
                        break;
                }
                n = listxattr(p, buf, (size_t) n);
                if (n >= 0 || errno != ERANGE)
                        break;
        }
        /* The caller's capabilities cost reads of /proc: asked only where
         * there is something to hide (trusted.* names are rare). */
        if (n > 0 && list_has_trusted(buf, (size_t) n) && !caller_has_sys_admin(req))
                n = (ssize_t) filter_trusted(buf, (size_t) n);
        if (n >= 0 && size > 0 && (size_t) n > size) {
                errno = ERANGE;
                n = -1;
        }
        reply_sized(req, n, buf, size);
        op_leave();
}

void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size, int flags) {
        stat_inc(STAT_SETXATTR);
        char p[PROC_FD_PATH_MAX];

        if (xattr_enter(req, ino, p) > 0)
                return;
        /* Before the call: a GETXATTR after it must not answer "absent". */
        if (ino != FUSE_ROOT_ID && streq(name, XATTR_CAPS))
                __atomic_store_n(&inode_of(ino)->no_fcaps, false, __ATOMIC_RELEASE);
        fuse_reply_err(req, setxattr(p, name, value, size, flags) < 0 ? errno : 0);
        op_leave();
}

void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name) {
        stat_inc(STAT_REMOVEXATTR);
        char p[PROC_FD_PATH_MAX];

        if (xattr_enter(req, ino, p) > 0)
                return;
        fuse_reply_err(req, removexattr(p, name) < 0 ? errno : 0);
        op_leave();
}
