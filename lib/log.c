/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "log.h"

static const char *log_program = "homefs";
static enum log_level log_max = LOG_LEVEL_INFO;
static bool log_to_journal;
/* LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG of <syslog.h>, by enum log_level */
static const int syslog_priority[] = { 3, 4, 6, 7 };

/* systemd's journal reads "<N>" at the start of a line as its syslog
 * priority, on a stream it set up: $JOURNAL_STREAM is "DEV:INODE" of that
 * stream, which must still be our stderr (not redirected since). */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        char end;

        if (!e || sscanf(e, "%llu:%llu%c", &dev, &ino, &end) != 2 || fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_setup(const char *program, enum log_level max) {
        const char *e = getenv("HOMEFS_LOG_LEVEL");

        log_program = program;
        log_max = max;
        if (e && streq(e, "debug"))
                log_max = LOG_LEVEL_DEBUG;
        log_to_journal = stderr_is_journal();
}

void log_set_max_level(enum log_level max) {
        log_max = max;
}

enum log_level log_get_max_level(void) {
        return log_max;
}

int log_full_errno(enum log_level level, int error, const char *fmt, ...) {
        int saved = errno;
        char raw[1024], buf[4 * sizeof(raw)];
        va_list ap;

        if (error < 0)
                error = -error;
        if (level <= log_max) {
                errno = error; /* for %m */
                va_start(ap, fmt);
                vsnprintf(raw, sizeof(raw), fmt, ap);
                va_end(ap);
                /* Strings from users and images (a token's module path, a
                 * process name) end no line, so they cannot forge another,
                 * nor its journal priority, nor move a terminal's cursor. */
                escape_to(buf, sizeof(buf), raw);
                if (log_to_journal)
                        fprintf(stderr, "<%d>%s: %s\n", syslog_priority[level], log_program, buf);
                else
                        fprintf(stderr, "%s: %s\n", log_program, buf);
        }
        errno = saved;
        return error > 0 ? -error : -EIO;
}
