/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static const char *log_program = "homefs";
static enum log_level log_max = LOG_LEVEL_INFO;

void log_setup(const char *program, enum log_level max) {
        const char *e = getenv("HOMEFS_LOG_LEVEL");

        log_program = program;
        log_max = max;
        if (e && streq(e, "debug"))
                log_max = LOG_LEVEL_DEBUG;
}

void log_set_max_level(enum log_level max) {
        log_max = max;
}

enum log_level log_get_max_level(void) {
        return log_max;
}

int log_full_errno(enum log_level level, int error, const char *fmt, ...) {
        int saved = errno;
        char buf[1024];
        va_list ap;

        if (error < 0)
                error = -error;
        if (level <= log_max) {
                errno = error; /* for %m */
                va_start(ap, fmt);
                vsnprintf(buf, sizeof(buf), fmt, ap);
                va_end(ap);
                fprintf(stderr, "%s: %s\n", log_program, buf);
        }
        errno = saved;
        return error > 0 ? -error : -EIO;
}
