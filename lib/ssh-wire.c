/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ssh-wire.h"

/* Nothing in homefs needs more: agent messages are at most 256 KiB. */
#define SSH_BUF_MAX (1024U * 1024U)

int ssh_read_u8(struct ssh_reader *r, uint8_t *ret) {
        if (r->left < 1)
                return -EBADMSG;
        *ret = r->p[0];
        r->p++;
        r->left--;
        return 0;
}

int ssh_read_u32(struct ssh_reader *r, uint32_t *ret) {
        if (r->left < 4)
                return -EBADMSG;
        *ret = (uint32_t) r->p[0] << 24 | (uint32_t) r->p[1] << 16 | (uint32_t) r->p[2] << 8 | r->p[3];
        r->p += 4;
        r->left -= 4;
        return 0;
}

int ssh_read_string(struct ssh_reader *r, const uint8_t **ret, size_t *ret_len) {
        struct ssh_reader save = *r;
        uint32_t n;

        if (ssh_read_u32(r, &n) < 0 || n > r->left) {
                *r = save;
                return -EBADMSG;
        }
        *ret = r->p;
        *ret_len = n;
        r->p += n;
        r->left -= n;
        return 0;
}

bool ssh_read_string_is(struct ssh_reader *r, const char *s) {
        const uint8_t *p;
        size_t n;

        return ssh_read_string(r, &p, &n) >= 0 && n == strlen(s) && memcmp(p, s, n) == 0;
}

static bool reserve(struct ssh_buf *b, size_t n) {
        size_t cap;
        uint8_t *p;

        if (b->failed || n > SSH_BUF_MAX - b->len) {
                b->failed = true;
                return false;
        }
        if (b->len + n <= b->cap)
                return true;
        cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
                cap *= 2;
        /* Not realloc: the old copy is wiped before it is freed. */
        p = malloc(cap);
        if (!p) {
                b->failed = true;
                return false;
        }
        if (b->len)
                memcpy(p, b->p, b->len);
        if (b->p)
                explicit_bzero(b->p, b->cap);
        free(b->p);
        b->p = p;
        b->cap = cap;
        return true;
}

void ssh_put_bytes(struct ssh_buf *b, const void *p, size_t n) {
        if (!reserve(b, n))
                return;
        if (n)
                memcpy(b->p + b->len, p, n);
        b->len += n;
}

void ssh_put_u8(struct ssh_buf *b, uint8_t v) {
        ssh_put_bytes(b, &v, 1);
}

void ssh_put_u32(struct ssh_buf *b, uint32_t v) {
        uint8_t be[4] = { (uint8_t) (v >> 24), (uint8_t) (v >> 16), (uint8_t) (v >> 8), (uint8_t) v };

        ssh_put_bytes(b, be, 4);
}

void ssh_put_string(struct ssh_buf *b, const void *p, size_t n) {
        if (n > UINT32_MAX) {
                b->failed = true;
                return;
        }
        ssh_put_u32(b, (uint32_t) n);
        ssh_put_bytes(b, p, n);
}

void ssh_buf_free(struct ssh_buf *b) {
        if (b->p)
                explicit_bzero(b->p, b->cap);
        free(b->p);
        *b = (struct ssh_buf) {};
}
