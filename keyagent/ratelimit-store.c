/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The failed-unlock counts on disk, so that restarting the agent (or making
 * it crash) does not hand an attacker a fresh burst. One small text file per
 * user, "<failures> <window start µs>\n", below a root-only directory. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file-util.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "ratelimit.h"
#include "record.h"

#define STORE_DIR "ratelimit"
#define STORE_FILE_MAX 64

static int open_store(void) {
        _cleanup_close_ int state = -1;
        int fd;

        state = open(homefs_state_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (state < 0)
                return negative_errno();
        if (mkdirat(state, STORE_DIR, 0700) < 0 && errno != EEXIST)
                return negative_errno();
        fd = openat(state, STORE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        /* Someone may have made it before us, with other modes. */
        if (fchown(fd, 0, 0) < 0 || fchmod(fd, 0700) < 0) {
                int r = negative_errno();
                close(fd);
                return r;
        }
        return fd;
}

static int parse(const char *text, struct ratelimit *rl) {
        unsigned failures;
        uint64_t window;
        char end;

        if (sscanf(text, "%u %" SCNu64 "%c", &failures, &window, &end) != 3 || end != '\n')
                return -EINVAL;
        rl->failures = failures;
        rl->window_usec = window;
        return 0;
}

int ratelimit_load(struct ratelimit *rl, const char *user_name) {
        _cleanup_close_ int dir = -1, fd = -1;
        char text[STORE_FILE_MAX + 1];
        ssize_t n;
        int r;

        rl->loaded = true;
        if (!user_name_is_valid(user_name))
                return -EINVAL;
        dir = open_store();
        if (dir < 0)
                return log_warning_errno(dir, "cannot open the rate limit store: %m");
        fd = openat(dir, user_name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : log_warning_errno(negative_errno(), "reading the rate limit of %s: %m", user_name);
        n = read(fd, text, STORE_FILE_MAX);
        if (n < 0)
                return log_warning_errno(negative_errno(), "reading the rate limit of %s: %m", user_name);
        text[n] = 0;
        r = parse(text, rl);
        if (r < 0)
                log_warning("the stored rate limit of %s is malformed; starting afresh", user_name);
        return r;
}

int ratelimit_save(const struct ratelimit *rl, const char *user_name) {
        _cleanup_close_ int dir = -1;
        char text[STORE_FILE_MAX];
        int n, r;

        if (!user_name_is_valid(user_name))
                return -EINVAL;
        dir = open_store();
        if (dir < 0)
                return log_warning_errno(dir, "cannot open the rate limit store: %m");
        n = snprintf(text, sizeof(text), "%u %" PRIu64 "\n", rl->failures, rl->window_usec);
        r = write_file_atomic_at(dir, user_name, text, (size_t) n, 0600);
        if (r < 0)
                log_warning_errno(r, "saving the rate limit of %s: %m", user_name);
        return r;
}

int ratelimit_forget(const char *user_name) {
        _cleanup_close_ int dir = -1;

        if (!user_name_is_valid(user_name))
                return -EINVAL;
        dir = open_store();
        if (dir < 0)
                return dir;
        if (unlinkat(dir, user_name, 0) < 0 && errno != ENOENT)
                return negative_errno();
        return 0;
}
