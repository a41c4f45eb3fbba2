/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Recovery keys in systemd's format: 32 random bytes written in modhex (the
 * alphabet "cbdefghijklnrtuv", high nibble first), in 8 groups of 8
 * characters separated by dashes. The formatted string itself is the LUKS2
 * passphrase, so a key enrolled here opens with systemd-cryptsetup and
 * vice versa. */

#define RECOVERY_KEY_BYTES 32U
#define RECOVERY_KEY_LENGTH (RECOVERY_KEY_BYTES * 2 / 8 * 9 - 1) /* without the NUL */

/* A new key in secret memory (free with secret_free()), or NULL. */
char *recovery_key_new(void);

/* Format bytes (RECOVERY_KEY_BYTES of them) into out (RECOVERY_KEY_LENGTH + 1). */
void recovery_key_format(const unsigned char *bytes, char *out);

/* Bring what someone typed into the canonical form (lower case, with
 * dashes): accepts the 64 characters with or without the dashes, in either
 * case. out has RECOVERY_KEY_LENGTH + 1 bytes. -EINVAL if s is no key. */
int recovery_key_normalize(const char *s, char *out);
