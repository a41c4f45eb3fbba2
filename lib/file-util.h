/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Write a whole buffer, retrying on EINTR and short writes. */
int write_all(int fd, const void *data, size_t len);

/* Replace the file name below dir_fd with data, atomically: a temp file
 * "<name>.tmpXXXXXXXX" created exclusively with mode (regardless of the
 * umask), written, fsynced, renamed over name, and the directory fsynced, so
 * after a crash the file is either the old or the new one, never partial.
 * name must be a single path component (checked by the caller). */
int write_file_atomic_at(int dir_fd, const char *name, const void *data, size_t len, mode_t mode);
