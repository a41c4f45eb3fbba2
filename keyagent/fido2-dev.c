/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent-config.h"
#include "fido2-dev.h"
#include "log.h"

#define UNIX_PREFIX "unix:"
#define REPORT_LEN 64

static pthread_once_t fido_once = PTHREAD_ONCE_INIT;

static void fido_setup(void) {
        fido_init(0);
}

static void *unix_open(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int *h, fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return NULL;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return NULL;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || !(h = malloc(sizeof(*h)))) {
                close(fd);
                return NULL;
        }
        *h = fd;
        return h;
}

static void unix_close(void *handle) {
        int *h = handle;

        close(*h);
        free(h);
}

/* One report, waiting up to ms (-1: forever). */
static int unix_read(void *handle, unsigned char *buf, size_t len, int ms) {
        struct pollfd p = { .fd = *(int *) handle, .events = POLLIN };
        ssize_t n;

        if (poll(&p, 1, ms) != 1)
                return -1;
        n = recv(p.fd, buf, len, 0);
        return n > 0 ? (int) n : -1;
}

/* libfido2 hands over the report ID first (always 0 for CTAPHID): the
 * socket carries only the 64-byte report. */
static int unix_write(void *handle, const unsigned char *buf, size_t len) {
        if (len != REPORT_LEN + 1 || buf[0] != 0)
                return -1;
        if (send(*(int *) handle, buf + 1, REPORT_LEN, MSG_NOSIGNAL) != REPORT_LEN)
                return -1;
        return (int) len;
}

static const fido_dev_io_t unix_io = {
        .open = unix_open,
        .close = unix_close,
        .read = unix_read,
        .write = unix_write,
};

int fido2_dev_open(const char *path, fido_dev_t **ret) {
        fido_dev_t *d;
        int r;

        pthread_once(&fido_once, fido_setup);
        d = fido_dev_new();
        if (!d)
                return FIDO_ERR_INTERNAL;
        if (strncmp(path, UNIX_PREFIX, strlen(UNIX_PREFIX)) == 0) {
                r = fido_dev_set_io_functions(d, &unix_io);
                if (r == FIDO_OK)
                        r = fido_dev_open(d, path + strlen(UNIX_PREFIX));
        } else
                r = fido_dev_open(d, path);
        if (r != FIDO_OK) {
                fido_dev_free(&d);
                return r;
        }
        *ret = d;
        return FIDO_OK;
}

void fido2_dev_close(fido_dev_t *d) {
        if (!d)
                return;
        (void) fido_dev_close(d);
        fido_dev_free(&d);
}

size_t fido2_dev_paths(const struct agent_config *config, char paths[][PATH_MAX], size_t max) {
        fido_dev_info_t *list;
        size_t n = 0, found = 0;

        pthread_once(&fido_once, fido_setup);
        for (unsigned i = 0; i < config->n_fido2_devices && n < max; i++)
                snprintf(paths[n++], PATH_MAX, "%s", config->fido2_devices[i]);
        list = fido_dev_info_new(max);
        if (list && fido_dev_info_manifest(list, max, &found) == FIDO_OK)
                for (size_t i = 0; i < found && n < max; i++)
                        snprintf(paths[n++], PATH_MAX, "%s", fido_dev_info_path(fido_dev_info_ptr(list, i)));
        fido_dev_info_free(&list, max);
        return n;
}
