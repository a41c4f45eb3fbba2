/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "home-paths.h"
#include "macro.h"
#include "paths.h"
#include "safe-path.h"

bool path_is_below(const char *path, const char *prefix) {
        size_t n = strlen(prefix);

        while (n > 1 && prefix[n - 1] == '/')
                n--;
        return strncmp(path, prefix, n) == 0 && (path[n] == '/' || path[n] == 0);
}

static const char *forbidden_prefix(const char *path) {
        static const char *const fixed[] = HOME_PATHS_FORBIDDEN;

        for (size_t i = 0; fixed[i]; i++)
                if (path_is_below(path, fixed[i]))
                        return fixed[i];
        if (path_is_below(path, homefs_state_dir()))
                return homefs_state_dir();
        if (path_is_below(path, homefs_runtime_dir()))
                return homefs_runtime_dir();
        return NULL;
}

int home_path_parent(const char *what, const char *path, const char **ret_name, struct agent_error *e) {
        char bad[PATH_MAX] = "";
        int fd = safe_path_open_parent(path, ret_name, bad, sizeof(bad));

        switch (fd) {
        case -EPERM:
                return agent_error_set(e, fd, AGENT_ERROR_INVALID_RECORD,
                                       "The directory %s above the %s %s must belong to root and be writable by nobody "
                                       "else (a user who can write it could swap in a symlink); fix it with chown root "
                                       "and chmod go-w, or choose another place.", bad, what, path);
        case -ELOOP:
                return agent_error_set(e, fd, AGENT_ERROR_INVALID_RECORD,
                                       "%s, on the way to the %s %s, is a symbolic link; homefs follows no links there: "
                                       "give the real path.", bad, what, path);
        case -ENOENT:
                return agent_error_set(e, fd, AGENT_ERROR_INVALID_RECORD,
                                       "The directory %s holding the %s %s is missing; create it first.", bad, what, path);
        case -ENOTDIR:
                return agent_error_set(e, fd, AGENT_ERROR_INVALID_RECORD,
                                       "%s, on the way to the %s %s, is not a directory.", bad, what, path);
        default:
                if (fd < 0)
                        return agent_error_set(e, fd, AGENT_ERROR_INVALID_RECORD, "Cannot examine %s (%s): %s.",
                                               path, bad, strerror(-fd));
                return fd;
        }
}

static int check_one(const char *what, const char *path, struct agent_error *e) {
        _cleanup_close_ int dir_fd = -1;
        const char *bad, *name;
        struct stat st;

        bad = forbidden_prefix(path);
        if (bad)
                return agent_error_set(e, -EPERM, AGENT_ERROR_INVALID_RECORD,
                                       "The %s %s lies below %s, where no home may be; choose a path below /home or another data directory.",
                                       what, path, bad);
        /* No symlink on the way, so the path as written is where it lies. */
        dir_fd = home_path_parent(what, path, &name, e);
        if (dir_fd < 0)
                return dir_fd;
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                return agent_error_set(e, -ELOOP, AGENT_ERROR_INVALID_RECORD,
                                       "The %s %s is a symbolic link; homefs does not follow links there.", what, path);
        return 0;
}

int home_paths_check(const struct user_record *r, struct agent_error *e) {
        int k = check_one("image", r->image_path, e);

        if (k < 0)
                return k;
        return check_one("home directory", r->home_directory, e);
}

int home_image_check(const char *image_path, struct agent_error *e) {
        _cleanup_close_ int fd = -1;
        struct stat st;

        const char *name;
        _cleanup_close_ int dir_fd = home_path_parent("image", image_path, &name, e);

        if (dir_fd < 0)
                return dir_fd;
        fd = safe_path_openat(dir_fd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (fd == -ELOOP)
                return agent_error_set(e, -ELOOP, AGENT_ERROR_INVALID_RECORD,
                                       "The image %s is a symbolic link; homefs does not follow links there.", image_path);
        if (fd == -ENOENT)
                return agent_error_set(e, -ENOENT, AGENT_ERROR_IMAGE_MISSING,
                                       "The image %s is missing; restore it from backup.", image_path);
        if (fd < 0)
                return agent_error_set(e, fd, AGENT_ERROR_FAILED, "Cannot open the image %s: %s.", image_path, strerror(-fd));
        if (fstat(fd, &st) < 0)
                return agent_error_set(e, -errno, AGENT_ERROR_FAILED, "Cannot examine the image %s: %m.", image_path);
        if (!S_ISREG(st.st_mode))
                return agent_error_set(e, -EINVAL, AGENT_ERROR_INVALID_RECORD,
                                       "The image %s is not a regular file.", image_path);
        if (st.st_uid != 0 || (st.st_mode & 022))
                return agent_error_set(e, -EPERM, AGENT_ERROR_INVALID_RECORD,
                                       "The image %s must belong to root and be writable by nobody else (it is %04o, uid %u); fix it with chown root and chmod 0600.",
                                       image_path, (unsigned) (st.st_mode & 07777), (unsigned) st.st_uid);
        return 0;
}
