/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* AES-256-XTS over disk sectors, byte-compatible with dm-crypt's
 * "aes-xts-plain64" as LUKS2 uses it:
 *
 *   - the volume key is 64 bytes, K1 (data key) || K2 (tweak key);
 *   - sector n of a buffer (counting from 0, each sector_size bytes) is
 *     encrypted with the tweak first_iv_512 + n * (sector_size / 512),
 *     stored as a 64-bit little-endian integer in the first 8 bytes of a
 *     16-byte block whose remaining bytes are zero ("plain64"). IVs count
 *     512-byte units because LUKS2 never sets iv_large_sectors. Like
 *     plain64, the IV wraps modulo 2^64.
 *
 * A context is not thread-safe: use one per thread. */

#define XTS_KEY_SIZE 64
#define XTS_SECTOR_MIN 512
#define XTS_SECTOR_MAX 4096

struct xts_ctx;

/* Build a context keyed with key. Returns 0, -EINVAL if the key is unusable
 * (its two halves are equal: OpenSSL refuses such XTS keys, as IEEE 1619
 * and FIPS require, and a random LUKS2 volume key never has them), or
 * -ENOMEM / -EIO on allocation or OpenSSL failure. The caller may wipe key
 * right after: the context keeps its own (expanded) copy. */
int xts_new(const uint8_t key[XTS_KEY_SIZE], struct xts_ctx **ret);

/* Wipe and free a context (NULL is fine). */
void xts_free(struct xts_ctx *ctx);

/* Encrypt or decrypt len bytes, a whole number of sectors. sector_size must
 * be a power of two from XTS_SECTOR_MIN to XTS_SECTOR_MAX; in and out may be
 * the same buffer but must not otherwise overlap. Returns 0, -EINVAL on bad
 * arguments (nothing is written then), -EIO if OpenSSL fails. */
int xts_encrypt(struct xts_ctx *ctx, const void *in, void *out, size_t len,
                size_t sector_size, uint64_t first_iv_512);
int xts_decrypt(struct xts_ctx *ctx, const void *in, void *out, size_t len,
                size_t sector_size, uint64_t first_iv_512);

static inline void xts_freep(struct xts_ctx **ctx) {
        xts_free(*ctx);
}
#define _cleanup_xts_ __attribute__((cleanup(xts_freep)))
