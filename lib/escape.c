/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

#define ESCAPE_MAX 4 /* "\xNN": the longest form one byte takes */

/* The length of the valid UTF-8 sequence at s that encodes a printable
 * (non-C1) code point of 2..4 bytes, or 0. */
static size_t utf8_printable_len(const unsigned char *s) {
        uint32_t cp;
        size_t n;

        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2, cp = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3, cp = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4, cp = s[0] & 0x07;
        else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        /* Overlong forms, surrogates, beyond Unicode, and C1 controls. */
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
                return 0;
        return n;
}

/* The escape of one byte c into out (at least ESCAPE_MAX + 1 bytes). */
static void escape_byte(unsigned char c, char *out) {
        switch (c) {
        case '\n': strcpy(out, "\\n"); break;
        case '\t': strcpy(out, "\\t"); break;
        case '\r': strcpy(out, "\\r"); break;
        case 0x1b: strcpy(out, "\\e"); break;
        case '\\': strcpy(out, "\\\\"); break;
        default: snprintf(out, ESCAPE_MAX + 1, "\\x%02x", c); break;
        }
}

char *escape_to(char *buf, size_t size, const char *s) {
        const unsigned char *p = (const unsigned char *) s;
        size_t len = 0;

        if (size == 0)
                return buf;
        while (*p) {
                char piece[ESCAPE_MAX + 1];
                size_t n = utf8_printable_len(p), k;

                if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
                        piece[0] = (char) *p;
                        piece[1] = 0;
                        n = 1;
                } else if (n > 0) {
                        memcpy(piece, p, n);
                        piece[n] = 0;
                } else {
                        escape_byte(*p, piece);
                        n = 1;
                }
                k = strlen(piece);
                if (len + k + 1 > size)
                        break;
                memcpy(buf + len, piece, k);
                len += k;
                p += n;
        }
        buf[len] = 0;
        return buf;
}

char *escape_dup(const char *s) {
        size_t size = strlen(s) * ESCAPE_MAX + 1;
        char *buf = malloc(size);

        return buf ? escape_to(buf, size, s) : NULL;
}
