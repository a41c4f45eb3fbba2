/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Strings that came from a user (a job's argv, a process name, a real name,
 * a path) made safe to print on a terminal: control characters (C0, DEL and
 * the C1 range U+0080..U+009F) and bytes that are not valid UTF-8 become
 * C-style escapes (\n, \t, \e, \xNN), and a backslash becomes "\\", so that
 * nothing a user chose can move the cursor, retitle the window or fake a
 * line. Printable UTF-8 passes unchanged. */

/* Into buf (always NUL-terminated; truncated at a whole escape). Returns buf. */
char *escape_to(char *buf, size_t size, const char *s);

/* A new string (free() it), or NULL when out of memory. */
char *escape_dup(const char *s);
