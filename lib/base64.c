/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "secret.h"

char *base64_encode_secret(const void *p, size_t n) {
        char *s;

        if (n > INT_MAX / 4 * 3 - 3)
                return NULL;
        s = secret_alloc(BASE64_LENGTH(n) + 1);
        if (s)
                EVP_EncodeBlock((unsigned char *) s, p, (int) n);
        return s;
}

int base64_decode(const char *s, void **ret, size_t *ret_size) {
        size_t n = strlen(s), pad = 0;
        unsigned char *buf;
        int k;

        if (n == 0 || n % 4 != 0 || n > INT_MAX)
                return -EINVAL;
        /* EVP_DecodeBlock accepts whitespace and counts padding as zero
         * bytes: check the alphabet here and drop the padded bytes after. */
        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if (c == '=' && i >= n - 2 && (i == n - 1 || s[n - 1] == '='))
                        pad++;
                else if (!(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '+' && c != '/')
                        return -EINVAL;
        }
        buf = malloc(n / 4 * 3);
        if (!buf)
                return -ENOMEM;
        k = EVP_DecodeBlock(buf, (const unsigned char *) s, (int) n);
        if (k < 0 || (size_t) k != n / 4 * 3) {
                free(buf);
                return -EINVAL;
        }
        *ret = buf;
        *ret_size = (size_t) k - pad;
        return 0;
}
