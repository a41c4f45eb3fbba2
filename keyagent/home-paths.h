/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "agent-error.h"
#include "record.h"

/* Where a record may put a home. The schema already demands absolute paths
 * without "." or ".." components; the agent adds:
 *  - neither the image nor the home directory lies below a system or
 *    virtual tree (HOME_PATHS_FORBIDDEN), nor below homefs' own state and
 *    runtime directories;
 *  - every directory above them, from "/" on, is root's and writable by
 *    nobody else (or root's and sticky, like /tmp), and none is a symlink
 *    (lib/safe-path.c), so no user can swap the image or the mountpoint
 *    between check and use;
 *  - neither is itself a symlink; the image is a regular file, root's, and
 *    not writable by group or others (checked on the fd the walk opened).
 * Each fills e with the message the user reads, naming the directory at
 * fault; nothing is touched. */

#define HOME_PATHS_FORBIDDEN { "/proc", "/sys", "/dev", "/run", "/boot", "/etc", "/usr", NULL }

/* The checked directory holding path (the what of a home: "image", "home
 * directory"), as an O_PATH fd for *at() calls, and the last component's
 * name in *ret_name; or a negative errno with e filled. */
int home_path_parent(const char *what, const char *path, const char **ret_name, struct agent_error *e);

/* At create (image need not exist yet), update, agent start and every
 * unlock. */
int home_paths_check(const struct user_record *r, struct agent_error *e);

/* At unlock: the image itself. */
int home_image_check(const char *image_path, struct agent_error *e);

/* Pure: path equals prefix or lies below it. For the unit test. */
bool path_is_below(const char *path, const char *prefix);
