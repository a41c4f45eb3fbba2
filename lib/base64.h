/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Standard base64 (RFC 4648 alphabet, '=' padding, no line breaks): the
 * encoding of binary fields in systemd's LUKS2 tokens and of the passphrases
 * derived from token secrets. */

/* The encoded length of n bytes, without the NUL. */
#define BASE64_LENGTH(n) (((n) + 2) / 3 * 4)

/* Encode into secret memory (free with secret_free()); NULL on failure. */
char *base64_encode_secret(const void *p, size_t n);

/* Decode s into a new buffer (plain malloc) of *ret_size bytes. -EINVAL for
 * anything but canonical padded base64. */
int base64_decode(const char *s, void **ret, size_t *ret_size);
