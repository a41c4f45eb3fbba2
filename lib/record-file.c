/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* User record files "<userName>.yaml", loaded, saved and deleted below a
 * directory fd (the agent's records directory), never by a path built from
 * the user name. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file-util.h"
#include "log.h"
#include "macro.h"
#include "record-internal.h"
#include "record.h"

int user_record_file_name(const char *user_name, char *buf, size_t size) {
        int n;

        if (!user_name_is_valid(user_name))
                return -EINVAL;
        n = snprintf(buf, size, "%s.yaml", user_name);
        if (n < 0 || (size_t) n >= size)
                return -ENAMETOOLONG;
        return 0;
}

/* "/var/lib/homefs/records/alice.yaml" for messages, or just the name. */
static char *record_file_origin(int dir_fd, const char *name) {
        char proc[64], dir[PATH_MAX];
        ssize_t n;
        char *s;

        (void) snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dir_fd);
        n = readlink(proc, dir, sizeof(dir) - 1);
        if (n <= 0 || dir[0] != '/')
                return strdup(name);
        dir[n] = '\0';
        if (asprintf(&s, "%s/%s", streq(dir, "/") ? "" : dir, name) < 0)
                return NULL;
        return s;
}

static int read_record_file(int fd, const char *origin, char **ret, size_t *ret_len, char **error) {
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t len = 0;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return record_set_error(error, -EINVAL, "%s: not a regular file", origin);
        if (geteuid() == 0 && st.st_uid != 0)
                return record_set_error(error, -EPERM, "%s: not owned by root", origin);
        if (st.st_mode & 0022)
                return record_set_error(error, -EPERM, "%s: writable by group or others", origin);
        if (st.st_size > (off_t) USER_RECORD_FILE_MAX)
                return record_set_error(error, -EFBIG, "%s: larger than %u bytes", origin, USER_RECORD_FILE_MAX);

        /* One byte more than allowed, to notice a file that grew since fstat(). */
        buf = malloc(USER_RECORD_FILE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf + len, USER_RECORD_FILE_MAX + 1 - len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > USER_RECORD_FILE_MAX)
                        return record_set_error(error, -EFBIG, "%s: larger than %u bytes", origin, USER_RECORD_FILE_MAX);
        }

        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int user_record_load(int dir_fd, const char *user_name, struct user_record **ret, char **error) {
        _cleanup_record_ struct user_record *r = NULL;
        _cleanup_free_ char *origin = NULL, *text = NULL;
        _cleanup_close_ int fd = -1;
        char name[NAME_MAX + 1];
        size_t len = 0;
        int k;

        if (error)
                *error = NULL;
        if (dir_fd < 0 || !ret)
                return -EINVAL;
        k = user_record_file_name(user_name, name, sizeof(name));
        if (k < 0)
                return record_set_error(error, k, "invalid user name");

        origin = record_file_origin(dir_fd, name);
        if (!origin)
                return -ENOMEM;

        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 && errno == ELOOP)
                return record_set_error(error, -ELOOP, "%s: is a symbolic link, refusing", origin);
        if (fd < 0) {
                k = negative_errno();
                return record_set_error(error, k, "%s: %s", origin, strerror(-k));
        }

        k = read_record_file(fd, origin, &text, &len, error);
        if (k < 0)
                return k;

        k = user_record_from_yaml(text, len, origin, &r, error);
        if (k < 0)
                return k;
        if (!streq(r->user_name, user_name))
                return record_set_error(error, -EINVAL, "%s: field 'userName': '%s' does not match the file name",
                                        origin, r->user_name);

        *ret = TAKE_PTR(r);
        return 0;
}

int user_record_save(int dir_fd, const struct user_record *r) {
        _cleanup_free_ char *text = NULL, *error = NULL;
        char name[NAME_MAX + 1];
        int k;

        if (dir_fd < 0 || !r)
                return -EINVAL;
        k = user_record_file_name(r->user_name, name, sizeof(name));
        if (k < 0)
                return k;
        k = user_record_validate(r, &error);
        if (k < 0)
                return log_debug_errno(k, "refusing to save an invalid record: %s", error ?: "?");
        k = user_record_to_yaml(r, &text);
        if (k < 0)
                return k;

        return write_file_atomic_at(dir_fd, name, text, strlen(text), 0600);
}

int user_record_delete(int dir_fd, const char *user_name) {
        char name[NAME_MAX + 1];
        int k;

        if (dir_fd < 0)
                return -EINVAL;
        k = user_record_file_name(user_name, name, sizeof(name));
        if (k < 0)
                return k;
        if (unlinkat(dir_fd, name, 0) < 0)
                return negative_errno();
        if (fsync(dir_fd) < 0)
                return negative_errno();
        return 0;
}
