/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file-util.h"
#include "macro.h"

int write_all(int fd, const void *data, size_t len) {
        const char *p = data;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

/* Create "<name>.tmpXXXXXXXX" with a random suffix, exclusively. */
static int open_temp(int dir_fd, const char *name, mode_t mode, char *tmp, size_t size) {
        for (unsigned attempt = 0; attempt < 16; attempt++) {
                uint32_t rnd;
                int fd, n;

                if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
                        rnd = (uint32_t) getpid() * 2654435761U + attempt;
                n = snprintf(tmp, size, "%s.tmp%08" PRIx32, name, rnd);
                if (n < 0 || (size_t) n >= size)
                        return -ENAMETOOLONG;
                fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, mode);
                if (fd >= 0)
                        return fd;
                if (errno != EEXIST)
                        return negative_errno();
        }
        return -EEXIST;
}

static int write_temp(int fd, const void *data, size_t len, mode_t mode) {
        int k;

        if (fchmod(fd, mode) < 0)
                return negative_errno();
        k = write_all(fd, data, len);
        if (k < 0)
                return k;
        if (fsync(fd) < 0)
                return negative_errno();
        return 0;
}

int write_file_atomic_at(int dir_fd, const char *name, const void *data, size_t len, mode_t mode) {
        char tmp[NAME_MAX + 1];
        int fd, k;

        if (dir_fd < 0 || !name || !data)
                return -EINVAL;
        fd = open_temp(dir_fd, name, mode, tmp, sizeof(tmp));
        if (fd < 0)
                return fd;
        k = write_temp(fd, data, len, mode);
        if (close(fd) < 0 && k == 0)
                k = negative_errno();
        if (k == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
                k = negative_errno();
        if (k < 0) {
                (void) unlinkat(dir_fd, tmp, 0);
                return k;
        }
        /* Make the rename itself durable. */
        return fsync(dir_fd) < 0 ? negative_errno() : 0;
}
