/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "home.h"
#include "home-ops.h"
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

bool home_check_front(struct home *h) {
        bool alive = home_front_alive(h);

        /* Unlocked, but homefsd is gone (a plain umount, a crash): nothing
         * reaches the data any more, so the key must not stay in use. */
        if (h->activated && !alive) {
                log_warning("homefsd for %s is gone while active; deactivating the home", h->user_name);
                home_teardown(h);
        }
        return alive;
}

enum home_state home_get_state(struct home *h) {
        bool alive = home_check_front(h);

        if (h->activated)
                return h->activation.suspended ? HOME_LOCKED : HOME_ACTIVE;
        if (alive)
                return HOME_INACTIVE;
        if (access(h->record->image_path, F_OK) < 0)
                return HOME_ABSENT;
        return HOME_UNMOUNTED;
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
