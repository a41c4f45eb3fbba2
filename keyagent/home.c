/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "home.h"
#include "log.h"
#include "paths.h"

const char *home_state_to_string(enum home_state s) {
        switch (s) {
        case HOME_ABSENT:
                return "absent";
        case HOME_UNMOUNTED:
                return "unmounted";
        case HOME_INACTIVE:
                return "inactive";
        case HOME_ACTIVE:
                return "active";
        case HOME_LOCKED:
                return "locked";
        }
        return "unknown";
}

bool home_front_alive(struct home *h) {
        struct pollfd p;

        if (!h->front)
                return false;
        p = (struct pollfd) { .fd = h->front->fd, .events = POLLRDHUP };
        if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR))) {
                proto_conn_free(h->front);
                h->front = NULL;
                h->front_lost = true;
                return false;
        }
        return true;
}

int home_runtime_dir(const struct home *h, char *buf, size_t size) {
        char homes[PATH_MAX];

        if ((size_t) snprintf(homes, sizeof(homes), "%s/homes", homefs_runtime_dir()) >= sizeof(homes) ||
            (size_t) snprintf(buf, size, "%s/%s", homes, h->user_name) >= size)
                return -ENAMETOOLONG;
        if (mkdir(homes, 0700) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "creating %s: %m", homes);
        if (mkdir(buf, 0700) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "creating %s: %m", buf);
        return 0;
}
