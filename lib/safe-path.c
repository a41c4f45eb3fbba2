/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "safe-path.h"

static void set_bad(char *bad, size_t bad_size, const char *path, size_t len) {
        if (!bad || bad_size == 0)
                return;
        if (len == 0)
                len = 1; /* "/" */
        snprintf(bad, bad_size, "%.*s", (int) len, path);
}

/* Type, owner and mode without a round trip to a FUSE daemon: a mount root
 * on the way may be a daemon that does not answer (homefsd's own, after its
 * loop ended, or a user's). */
static int cached_statx(int fd, struct statx *stx) {
        return statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_MODE | STATX_UID, stx);
}

int safe_path_openat(int dir_fd, const char *name, int flags) {
        struct open_how how = {
                .flags = (uint64_t) (flags | O_NOFOLLOW | O_CLOEXEC),
                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int) syscall(SYS_openat2, dir_fd, name, &how, sizeof(how));
        struct statx stx;

        if (fd < 0)
                return -errno;
        /* O_PATH|O_NOFOLLOW opens a symlink itself rather than failing. */
        if ((flags & O_PATH) && (cached_statx(fd, &stx) < 0 || S_ISLNK(stx.stx_mode))) {
                safe_close(fd);
                return -ELOOP;
        }
        return fd;
}

static int dir_check(int fd, bool allow_sticky) {
        struct statx stx;

        if (cached_statx(fd, &stx) < 0)
                return -errno;
        if (!S_ISDIR(stx.stx_mode))
                return -ENOTDIR;
        if (stx.stx_uid != 0)
                return -EPERM;
        if ((stx.stx_mode & (S_IWGRP | S_IWOTH)) && !(allow_sticky && (stx.stx_mode & S_ISVTX)))
                return -EPERM;
        return 0;
}

int safe_path_dir_check(int fd) {
        return dir_check(fd, false);
}

int safe_path_open_parent(const char *path, const char **ret_name, char *bad, size_t bad_size) {
        _cleanup_close_ int fd = -1;
        const char *p = path, *last;
        char name[NAME_MAX + 1];
        int r;

        if (!path || path[0] != '/') {
                set_bad(bad, bad_size, path ? path : "", path ? strlen(path) : 0);
                return -EINVAL;
        }
        last = strrchr(path, '/') + 1;
        if (!*last || streq(last, ".") || streq(last, "..")) {
                set_bad(bad, bad_size, path, strlen(path));
                return -EINVAL;
        }
        fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = dir_check(fd, true);
        if (r < 0) {
                set_bad(bad, bad_size, "/", 1);
                return r;
        }
        /* Each directory between "/" and the last component. */
        while (p < last - 1) {
                const char *start = p + strspn(p, "/");
                size_t n = strcspn(start, "/");
                int next;

                if (start >= last)
                        break;
                p = start + n;
                if (n > NAME_MAX || (n == 1 && start[0] == '.') || (n == 2 && start[0] == '.' && start[1] == '.')) {
                        set_bad(bad, bad_size, path, strlen(path));
                        return n > NAME_MAX ? -ENAMETOOLONG : -EINVAL;
                }
                memcpy(name, start, n);
                name[n] = 0;
                next = safe_path_openat(fd, name, O_PATH);
                if (next >= 0) {
                        safe_close(fd);
                        fd = next;
                        r = dir_check(fd, true);
                } else
                        r = next;
                if (r < 0) {
                        set_bad(bad, bad_size, path, (size_t) (p - path));
                        return r;
                }
        }
        /* The parent itself: nobody else may even add entries next to it. */
        r = dir_check(fd, false);
        if (r < 0) {
                set_bad(bad, bad_size, path, (size_t) (last - 1 - path));
                return r;
        }
        *ret_name = last;
        return TAKE_FD(fd);
}

int safe_path_open(const char *path, int flags, char *bad, size_t bad_size) {
        _cleanup_close_ int dir_fd = -1;
        const char *name;
        int fd;

        dir_fd = safe_path_open_parent(path, &name, bad, bad_size);
        if (dir_fd < 0)
                return dir_fd;
        if (strlen(name) > NAME_MAX)
                return -ENAMETOOLONG;
        fd = safe_path_openat(dir_fd, name, flags);
        if (fd < 0)
                set_bad(bad, bad_size, path, strlen(path));
        return fd;
}
