/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <openssl/rand.h>
#include <string.h>

#include "recovery-key.h"
#include "secret.h"

static const char modhex[16] = "cbdefghijklnrtuv";

static int modhex_value(char c) {
        if (c >= 'A' && c <= 'Z')
                c = (char) (c - 'A' + 'a');
        for (int i = 0; i < 16; i++)
                if (modhex[i] == c)
                        return i;
        return -EINVAL;
}

void recovery_key_format(const unsigned char *bytes, char *out) {
        size_t j = 0;

        for (size_t i = 0; i < RECOVERY_KEY_BYTES; i++) {
                if (i > 0 && i % 4 == 0)
                        out[j++] = '-';
                out[j++] = modhex[bytes[i] >> 4];
                out[j++] = modhex[bytes[i] & 0xf];
        }
        out[j] = 0;
}

char *recovery_key_new(void) {
        unsigned char bytes[RECOVERY_KEY_BYTES];
        char *key = secret_alloc(RECOVERY_KEY_LENGTH + 1);

        if (!key)
                return NULL;
        if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
                secret_free(key);
                return NULL;
        }
        recovery_key_format(bytes, key);
        explicit_bzero(bytes, sizeof(bytes));
        return key;
}

int recovery_key_normalize(const char *s, char *out) {
        size_t n = strlen(s), j = 0;
        bool dashes;

        if (n != RECOVERY_KEY_BYTES * 2 && n != RECOVERY_KEY_LENGTH)
                return -EINVAL;
        dashes = n == RECOVERY_KEY_LENGTH;
        for (size_t i = 0; i < n; i++) {
                /* With dashes, every ninth character is one, and only those. */
                bool dash_here = dashes && i % 9 == 8;

                if (dash_here != (s[i] == '-'))
                        return -EINVAL;
                if (dash_here) {
                        out[j++] = '-';
                        continue;
                }
                if (modhex_value(s[i]) < 0)
                        return -EINVAL;
                if (!dashes && i > 0 && i % 8 == 0)
                        out[j++] = '-';
                out[j++] = modhex[modhex_value(s[i])];
        }
        out[j] = 0;
        return 0;
}
