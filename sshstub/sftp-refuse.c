/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sshd runs subsystems (sftp, and scp, which speaks sftp since OpenSSH 9)
 * with their stderr thrown away, so the locked-home sentence would never reach
 * the person. Speak just enough SFTP (version 3) to carry it: answer INIT with
 * VERSION and every request with a FAILURE status holding the sentence, which
 * the sftp client prints ("realpath .: The home of ... is locked ..."). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sshstub.h"

#define SSH_FXP_INIT 1
#define SSH_FXP_VERSION 2
#define SSH_FXP_STATUS 101
#define SSH_FX_FAILURE 4
#define PACKET_MAX (256U * 1024U)
#define REQUESTS_MAX 16 /* then give up: the client is not listening */

static int read_full(int fd, void *buf, size_t n) {
        for (uint8_t *p = buf; n > 0;) {
                ssize_t k = read(fd, p, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return k < 0 ? -errno : -ECONNRESET;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

static int write_full(int fd, const void *buf, size_t n) {
        for (const uint8_t *p = buf; n > 0;) {
                ssize_t k = write(fd, p, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return k < 0 ? -errno : -EIO;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

static uint8_t *put_u32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t) (v >> 24);
        p[1] = (uint8_t) (v >> 16);
        p[2] = (uint8_t) (v >> 8);
        p[3] = (uint8_t) v;
        return p + 4;
}

static uint32_t get_u32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static uint8_t *put_string(uint8_t *p, const char *s) {
        size_t n = strlen(s);

        p = put_u32(p, (uint32_t) n);
        memcpy(p, s, n);
        return p + n;
}

/* One reply: VERSION 3 to INIT, else STATUS FAILURE with message. */
static int reply(uint8_t type, uint32_t id, const char *message) {
        uint8_t buf[1024], *p = buf + 4;

        if (type == SSH_FXP_INIT) {
                *p++ = SSH_FXP_VERSION;
                p = put_u32(p, 3);
        } else {
                *p++ = SSH_FXP_STATUS;
                p = put_u32(p, id);
                p = put_u32(p, SSH_FX_FAILURE);
                p = put_string(p, message);
                p = put_string(p, "en");
        }
        put_u32(buf, (uint32_t) (p - buf - 4));
        return write_full(STDOUT_FILENO, buf, (size_t) (p - buf));
}

/* Skip n bytes of the packet we do not need. */
static int skip(size_t n) {
        uint8_t sink[4096];

        while (n > 0) {
                size_t k = n < sizeof(sink) ? n : sizeof(sink);
                int r = read_full(STDIN_FILENO, sink, k);

                if (r < 0)
                        return r;
                n -= k;
        }
        return 0;
}

void sftp_refuse(const char *message) {
        char msg[512];

        /* The message must fit the reply buffer with room to spare. */
        snprintf(msg, sizeof(msg), "%s", message);
        for (int i = 0; i < REQUESTS_MAX; i++) {
                uint8_t head[9];
                uint32_t len;

                /* length, type, and the request id (INIT has its version there) */
                if (read_full(STDIN_FILENO, head, 4) < 0)
                        return;
                len = get_u32(head);
                if (len < 5 || len > PACKET_MAX || read_full(STDIN_FILENO, head + 4, 5) < 0 || skip(len - 5) < 0)
                        return;
                if (reply(head[4], get_u32(head + 5), msg) < 0)
                        return;
        }
}
