/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "home-paths.h"
#include "macro.h"
#include "paths.h"

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

/* path's parent, symlinks resolved, into buf; -errno if it does not exist. */
static int parent_resolved(const char *path, char *buf) {
        char copy[PATH_MAX];

        if (strlen(path) >= sizeof(copy))
                return -ENAMETOOLONG;
        strcpy(copy, path);
        return realpath(dirname(copy), buf) ? 0 : -errno;
}

static int check_one(const char *what, const char *path, struct agent_error *e) {
        char parent[PATH_MAX];
        const char *bad;
        struct stat st;
        int k;

        bad = forbidden_prefix(path);
        if (bad)
                return agent_error_set(e, -EPERM, AGENT_ERROR_INVALID_RECORD,
                                       "The %s %s lies below %s, where no home may be; choose a path below /home or another data directory.",
                                       what, path, bad);
        k = parent_resolved(path, parent);
        if (k < 0)
                return agent_error_set(e, k, AGENT_ERROR_INVALID_RECORD,
                                       "The directory holding the %s %s is missing (%s); create it first.", what, path, strerror(-k));
        bad = forbidden_prefix(parent);
        if (bad)
                return agent_error_set(e, -EPERM, AGENT_ERROR_INVALID_RECORD,
                                       "The %s %s lies below %s once symlinks are resolved (%s); no home may be there.",
                                       what, path, bad, parent);
        if (stat(parent, &st) < 0)
                return agent_error_set(e, -errno, AGENT_ERROR_INVALID_RECORD, "Cannot examine %s: %m.", parent);
        if (st.st_uid != 0 || (st.st_mode & 022))
                return agent_error_set(e, -EPERM, AGENT_ERROR_INVALID_RECORD,
                                       "The directory %s holding the %s must belong to root and be writable by nobody else.",
                                       parent, what);
        if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
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

        fd = open(image_path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 && errno == ELOOP)
                return agent_error_set(e, -ELOOP, AGENT_ERROR_INVALID_RECORD,
                                       "The image %s is a symbolic link; homefs does not follow links there.", image_path);
        if (fd < 0 && errno == ENOENT)
                return agent_error_set(e, -ENOENT, AGENT_ERROR_IMAGE_MISSING,
                                       "The image %s is missing; restore it from backup.", image_path);
        if (fd < 0)
                return agent_error_set(e, -errno, AGENT_ERROR_FAILED, "Cannot open the image %s: %m.", image_path);
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
