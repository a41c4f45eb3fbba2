/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* Logging to stderr, prefixed with the program name. Daemons run under a
 * supervisor that captures stderr. When stderr is the journal's stream
 * ($JOURNAL_STREAM names it), each line starts with its syslog priority,
 * "<3>" error, "<4>" warning, "<6>" info, "<7>" debug, so that journalctl -p
 * filters them. Never pass a secret to these.
 *
 * One voice everywhere: the first word lowercase (unless a proper name, an
 * acronym, a user name or a path), no trailing period, clauses joined by ": "
 * or "; ", an errno as text (%m via log_*_errno, or strerror), never as a
 * number: "cannot open %s: %m", "resize2fs %s failed (exit status %d)".
 * Sentences are for text meant for a person (agent error replies, prompts). */

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_setup(const char *program, enum log_level max);
void log_set_max_level(enum log_level max);
enum log_level log_get_max_level(void);

/* Each returns -abs(error) (or -EIO when error is 0) so that callers can write
 * "return log_error_errno(r, "...: %m")". %m prints strerror(error). */
int log_full_errno(enum log_level level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_error(...)   (void) log_full_errno(LOG_LEVEL_ERROR, 0, __VA_ARGS__)
#define log_warning(...) (void) log_full_errno(LOG_LEVEL_WARNING, 0, __VA_ARGS__)
#define log_info(...)    (void) log_full_errno(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_debug(...)   (void) log_full_errno(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)
#define log_error_errno(e, ...)   log_full_errno(LOG_LEVEL_ERROR, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_LEVEL_WARNING, (e), __VA_ARGS__)
#define log_debug_errno(e, ...)   log_full_errno(LOG_LEVEL_DEBUG, (e), __VA_ARGS__)
