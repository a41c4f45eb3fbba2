/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "xts.h"

/* Two OpenSSL contexts, keyed once at creation: per sector only the IV (the
 * XTS tweak) is set again, which does not re-expand the AES keys. OpenSSL
 * processes one XTS data unit per update call, so each sector gets exactly
 * one EVP_CipherUpdate(). */
struct xts_ctx {
        EVP_CIPHER_CTX *enc;
        EVP_CIPHER_CTX *dec;
};

static int cipher_ctx_new(const uint8_t key[XTS_KEY_SIZE], int encrypt, EVP_CIPHER_CTX **ret) {
        EVP_CIPHER_CTX *c;

        c = EVP_CIPHER_CTX_new();
        if (!c)
                return -ENOMEM;
        if (EVP_CipherInit_ex(c, EVP_aes_256_xts(), NULL, key, NULL, encrypt) != 1) {
                EVP_CIPHER_CTX_free(c);
                return -EINVAL;
        }
        *ret = c;
        return 0;
}

int xts_new(const uint8_t key[XTS_KEY_SIZE], struct xts_ctx **ret) {
        struct xts_ctx *ctx;
        int r;

        if (!key || !ret)
                return -EINVAL;
        /* Check equal halves ourselves: OpenSSL 3 rejects them for encryption
         * but (by default) not for decryption, and we want one answer. */
        if (CRYPTO_memcmp(key, key + XTS_KEY_SIZE / 2, XTS_KEY_SIZE / 2) == 0)
                return -EINVAL;

        ctx = calloc(1, sizeof(*ctx));
        if (!ctx)
                return -ENOMEM;
        r = cipher_ctx_new(key, 1, &ctx->enc);
        if (r >= 0)
                r = cipher_ctx_new(key, 0, &ctx->dec);
        if (r < 0) {
                xts_free(ctx);
                return r;
        }
        *ret = ctx;
        return 0;
}

void xts_free(struct xts_ctx *ctx) {
        if (!ctx)
                return;
        /* EVP_CIPHER_CTX_free() cleanses the expanded keys. */
        EVP_CIPHER_CTX_free(ctx->enc);
        EVP_CIPHER_CTX_free(ctx->dec);
        free(ctx);
}

static bool sector_size_valid(size_t s) {
        return s >= XTS_SECTOR_MIN && s <= XTS_SECTOR_MAX && (s & (s - 1)) == 0;
}

static bool buffers_valid(const void *in, const void *out, size_t len) {
        const char *i = in, *o = out;

        if (!in || !out)
                return false;
        if (i == o)
                return true;
        /* Partial overlap would corrupt the input before it is read. */
        return i + len <= o || o + len <= i;
}

static void iv_plain64(uint8_t iv[16], uint64_t n) {
        memset(iv, 0, 16);
        for (size_t i = 0; i < 8; i++)
                iv[i] = (uint8_t) (n >> (8 * i));
}

static int xts_crypt(EVP_CIPHER_CTX *c, const void *in, void *out, size_t len,
                     size_t sector_size, uint64_t iv_512) {
        const uint8_t *src = in;
        uint8_t *dst = out;
        uint8_t iv[16];
        uint64_t step;
        int n, r = 0;

        if (!c || !sector_size_valid(sector_size) || len % sector_size != 0 ||
            !buffers_valid(in, out, len))
                return -EINVAL;

        step = sector_size / 512;
        for (size_t off = 0; off < len; off += sector_size, iv_512 += step) {
                iv_plain64(iv, iv_512);
                if (EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, -1) != 1 ||
                    EVP_CipherUpdate(c, dst + off, &n, src + off, (int) sector_size) != 1 ||
                    (size_t) n != sector_size) {
                        r = -EIO;
                        break;
                }
        }
        OPENSSL_cleanse(iv, sizeof(iv));
        return r;
}

int xts_encrypt(struct xts_ctx *ctx, const void *in, void *out, size_t len,
                size_t sector_size, uint64_t first_iv_512) {
        if (!ctx)
                return -EINVAL;
        return xts_crypt(ctx->enc, in, out, len, sector_size, first_iv_512);
}

int xts_decrypt(struct xts_ctx *ctx, const void *in, void *out, size_t len,
                size_t sector_size, uint64_t first_iv_512) {
        if (!ctx)
                return -EINVAL;
        return xts_crypt(ctx->dec, in, out, len, sector_size, first_iv_512);
}
