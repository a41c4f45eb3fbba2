/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Memory for secrets (passwords, volume keys): page-aligned, locked in RAM,
 * excluded from core dumps, and wiped before it is returned to the system. */

void *secret_alloc(size_t size);
void secret_free(void *p);

/* strdup into secret memory; NULL on allocation failure. */
char *secret_strdup(const char *s);

/* Wipe a NUL-terminated string in place (NULL is fine). */
void string_wipe(char *s);

/* Make the process undumpable and disable core files: call first thing in any
 * binary that will hold a secret. */
void secret_process_harden(void);

static inline void secret_freep(void *p) {
        secret_free(*(void **) p);
}
#define _cleanup_secret_ __attribute__((cleanup(secret_freep)))
