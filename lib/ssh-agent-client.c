/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"
#include "ssh-agent-client.h"
#include "ssh-wire.h"

#define SSH_AGENT_FAILURE 5
#define SSH2_AGENTC_REQUEST_IDENTITIES 11
#define SSH2_AGENT_IDENTITIES_ANSWER 12
#define SSH2_AGENTC_SIGN_REQUEST 13
#define SSH2_AGENT_SIGN_RESPONSE 14

int ssh_agent_connect(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (!path || path[0] != '/' || strlen(path) >= sizeof(sa.sun_path))
                return -EINVAL;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        return fd;
}

static int io_full(int fd, void *buf, size_t n, bool out) {
        for (uint8_t *p = buf; n > 0;) {
                struct pollfd pfd = { .fd = fd, .events = out ? POLLOUT : POLLIN };
                ssize_t k;
                int r = poll(&pfd, 1, SSH_AGENT_TIMEOUT_MS);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        return r < 0 ? -errno : -ETIMEDOUT;
                k = out ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
                if (k < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (k <= 0)
                        return k < 0 ? -errno : -ECONNRESET;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

/* Send the request in req (without its length), read one answer into
 * *ret (malloc'ed, wiped and freed by the caller). */
static int transact(int fd, const struct ssh_buf *req, uint8_t **ret, size_t *ret_len) {
        uint8_t len[4] = { (uint8_t) (req->len >> 24), (uint8_t) (req->len >> 16), (uint8_t) (req->len >> 8),
                           (uint8_t) req->len };
        struct ssh_reader r = { len, 4 };
        uint32_t n;
        uint8_t *buf;
        int k;

        if (req->failed || req->len > SSH_AGENT_MESSAGE_MAX)
                return -ENOMEM;
        k = io_full(fd, len, 4, true);
        if (k >= 0)
                k = io_full(fd, req->p, req->len, true);
        if (k >= 0)
                k = io_full(fd, len, 4, false);
        if (k < 0)
                return k;
        (void) ssh_read_u32(&r, &n);
        if (n == 0 || n > SSH_AGENT_MESSAGE_MAX)
                return -EBADMSG;
        buf = malloc(n);
        if (!buf)
                return -ENOMEM;
        k = io_full(fd, buf, n, false);
        if (k < 0) {
                explicit_bzero(buf, n); /* part of a signature, which unlocks a home */
                free(buf);
                return k;
        }
        *ret = buf;
        *ret_len = n;
        return 0;
}

void ssh_agent_identities_free(struct ssh_agent_identity *ids, size_t n) {
        for (size_t i = 0; ids && i < n; i++)
                free(ids[i].blob);
        free(ids);
}

static int parse_identities(struct ssh_reader *r, struct ssh_agent_identity **ret, size_t *ret_n) {
        struct ssh_agent_identity *ids;
        uint32_t n;

        if (ssh_read_u32(r, &n) < 0 || n > SSH_AGENT_KEYS_MAX)
                return -EBADMSG;
        ids = calloc(n ? n : 1, sizeof(*ids));
        if (!ids)
                return -ENOMEM;
        for (uint32_t i = 0; i < n; i++) {
                const uint8_t *blob, *comment;
                size_t blob_len, comment_len;

                if (ssh_read_string(r, &blob, &blob_len) < 0 || ssh_read_string(r, &comment, &comment_len) < 0 ||
                    blob_len == 0) {
                        ssh_agent_identities_free(ids, i);
                        return -EBADMSG;
                }
                ids[i].blob = malloc(blob_len);
                if (!ids[i].blob) {
                        ssh_agent_identities_free(ids, i);
                        return -ENOMEM;
                }
                memcpy(ids[i].blob, blob, blob_len);
                ids[i].blob_len = blob_len;
        }
        *ret = ids;
        *ret_n = n;
        return 0;
}

int ssh_agent_list(int fd, struct ssh_agent_identity **ret, size_t *ret_n) {
        _cleanup_(ssh_buf_freep) struct ssh_buf req = {};
        _cleanup_free_ uint8_t *answer = NULL;
        struct ssh_reader r;
        size_t len = 0;
        uint8_t type = 0;
        int k;

        ssh_put_u8(&req, SSH2_AGENTC_REQUEST_IDENTITIES);
        k = transact(fd, &req, &answer, &len);
        if (k < 0)
                return k;
        r = (struct ssh_reader) { answer, len };
        if (ssh_read_u8(&r, &type) < 0 || type != SSH2_AGENT_IDENTITIES_ANSWER)
                return type == SSH_AGENT_FAILURE ? -EACCES : -EBADMSG;
        return parse_identities(&r, ret, ret_n);
}

int ssh_agent_sign(int fd, const uint8_t *blob, size_t blob_len, const uint8_t *data, size_t data_len,
                   uint32_t flags, uint8_t **ret, size_t *ret_len) {
        _cleanup_(ssh_buf_freep) struct ssh_buf req = {};
        uint8_t *answer = NULL, type = 0, *sig;
        const uint8_t *s;
        struct ssh_reader r;
        size_t len = 0, s_len;
        int k;

        ssh_put_u8(&req, SSH2_AGENTC_SIGN_REQUEST);
        ssh_put_string(&req, blob, blob_len);
        ssh_put_string(&req, data, data_len);
        ssh_put_u32(&req, flags);
        k = transact(fd, &req, &answer, &len);
        if (k < 0)
                return k;
        r = (struct ssh_reader) { answer, len };
        if (ssh_read_u8(&r, &type) < 0 || type != SSH2_AGENT_SIGN_RESPONSE)
                k = type == SSH_AGENT_FAILURE ? -EACCES : -EBADMSG;
        else if (ssh_read_string(&r, &s, &s_len) < 0 || s_len == 0 || r.left != 0)
                k = -EBADMSG;
        else if (!(sig = malloc(s_len)))
                k = -ENOMEM;
        else {
                memcpy(sig, s, s_len);
                *ret = sig;
                *ret_len = s_len;
        }
        explicit_bzero(answer, len);
        free(answer);
        return k;
}
