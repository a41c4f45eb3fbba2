/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "secret.h"

/* Each allocation is its own mapping with a header page in front that holds the
 * mapping's length, so secret_free() knows how much to wipe and unmap. */

static size_t page_size(void) {
        return (size_t) sysconf(_SC_PAGESIZE);
}

void *secret_alloc(size_t size) {
        size_t ps = page_size(), total;
        unsigned char *m;

        if (size > SIZE_MAX - 2 * ps)
                return NULL;
        total = ps + ((size + ps - 1) / ps) * ps;
        if (size == 0)
                total += ps;
        m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
                return NULL;
        /* Locking may fail under a tight RLIMIT_MEMLOCK; the memory is still
         * wiped and excluded from dumps, so go on. */
        (void) mlock(m, total);
        (void) madvise(m, total, MADV_DONTDUMP);
        (void) madvise(m, total, MADV_WIPEONFORK);
        memcpy(m, &total, sizeof(total));
        return m + ps;
}

void secret_free(void *p) {
        unsigned char *m;
        size_t total;

        if (!p)
                return;
        m = (unsigned char *) p - page_size();
        memcpy(&total, m, sizeof(total));
        explicit_bzero(m, total);
        munlock(m, total);
        munmap(m, total);
}

char *secret_strdup(const char *s) {
        size_t n = strlen(s);
        char *d = secret_alloc(n + 1);

        if (d)
                memcpy(d, s, n + 1);
        return d;
}

void string_wipe(char *s) {
        if (s)
                explicit_bzero(s, strlen(s));
}

void secret_process_harden(void) {
        struct rlimit rl = { 0, 0 };

        (void) prctl(PR_SET_DUMPABLE, 0);
        (void) setrlimit(RLIMIT_CORE, &rl);
}
