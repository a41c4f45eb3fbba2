/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The SSH wire encoding (RFC 4251 section 5): uint32 big-endian, and
 * "string" = uint32 length + that many bytes. Used for key and signature
 * blobs and for the ssh-agent protocol. Every read checks the length left:
 * the bytes come from an ssh-agent, a forwarded socket or an image header. */

struct ssh_reader {
        const uint8_t *p;
        size_t left;
};

/* Each returns 0, or -EBADMSG when the input is too short. A string is
 * returned as a pointer into the input and its length. */
int ssh_read_u8(struct ssh_reader *r, uint8_t *ret);
int ssh_read_u32(struct ssh_reader *r, uint32_t *ret);
int ssh_read_string(struct ssh_reader *r, const uint8_t **ret, size_t *ret_len);
/* A string that must equal s. */
bool ssh_read_string_is(struct ssh_reader *r, const char *s);

/* A growing output buffer, wiped whenever it grows or is freed (it may
 * carry a signature). A failed append sets failed and leaves the bytes
 * unchanged: check it once at the end. */
struct ssh_buf {
        uint8_t *p;
        size_t len, cap;
        bool failed;
};

void ssh_put_u8(struct ssh_buf *b, uint8_t v);
void ssh_put_u32(struct ssh_buf *b, uint32_t v);
void ssh_put_bytes(struct ssh_buf *b, const void *p, size_t n);
void ssh_put_string(struct ssh_buf *b, const void *p, size_t n);
void ssh_buf_free(struct ssh_buf *b);
static inline void ssh_buf_freep(struct ssh_buf *b) {
        ssh_buf_free(b);
}
