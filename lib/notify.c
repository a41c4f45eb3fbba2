/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

static struct sockaddr_un notify_addr;
static socklen_t notify_len;

int notify_init(void) {
        const char *e = getenv("NOTIFY_SOCKET");
        size_t n;

        if (!e)
                return 0;
        n = strlen(e);
        if ((e[0] != '/' && e[0] != '@') || n < 2 || n >= sizeof(notify_addr.sun_path)) {
                unsetenv("NOTIFY_SOCKET");
                return -EINVAL;
        }
        notify_addr.sun_family = AF_UNIX;
        memcpy(notify_addr.sun_path, e, n);
        if (e[0] == '@')
                notify_addr.sun_path[0] = 0; /* abstract: no terminating NUL counted */
        notify_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + (e[0] == '/'));
        unsetenv("NOTIFY_SOCKET");
        return 1;
}

int notify_send(const char *state) {
        int fd, r = 0;

        if (notify_len == 0)
                return 0;
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *) &notify_addr, notify_len) < 0)
                r = -errno;
        close(fd);
        return r;
}
