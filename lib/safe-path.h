/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Opening a path that root relies on (a home's image, its mountpoint, a
 * PKCS#11 module) so that no other user can redirect it: the walk starts at
 * "/" and opens one component at a time below the previous directory's fd,
 * never following a symlink (openat2 with RESOLVE_NO_SYMLINKS), and every
 * directory on the way, "/" and the last one included, must be a directory
 * of root that nobody else can write. A root directory with the sticky bit
 * (/tmp) above the last directory may be writable by others: there nobody
 * but root can rename or remove root's entries, and the next component must
 * be root's in its turn. The last directory (the one holding the file) may
 * not be writable by others even so.
 *
 * The path must be absolute, without "." or ".." components. On refusal
 * the directory (or symlink) that failed is copied into bad (may be NULL),
 * so that the caller's message can name it:
 *   -ELOOP    a component is a symlink
 *   -EPERM    a directory is not root's, or others may write it
 *   -ENOTDIR  a component is not a directory
 *   -ENOENT   a directory on the way is missing (bad: the missing path)
 *   -EINVAL   the path is not absolute or has "."/".." (bad: the path)
 * The last component itself is not checked for ownership: the caller knows
 * what it must be. */

/* An O_PATH fd of the directory holding path's last component, whose name
 * is returned in *ret_name (points into path). */
int safe_path_open_parent(const char *path, const char **ret_name, char *bad, size_t bad_size);

/* The last component opened with flags (O_NOFOLLOW and O_CLOEXEC are
 * added; a symlink there is -ELOOP too). */
int safe_path_open(const char *path, int flags, char *bad, size_t bad_size);

/* One component name below dir_fd, opened with flags (O_NOFOLLOW and
 * O_CLOEXEC added); a symlink is -ELOOP, also with O_PATH. */
int safe_path_openat(int dir_fd, const char *name, int flags);

/* Is the directory fd refers to root's and unwritable by others? 0,
 * -EPERM, -ENOTDIR, or -errno. */
int safe_path_dir_check(int fd);
