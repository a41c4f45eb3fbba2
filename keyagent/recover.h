/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* What a previous agent that crashed or was killed left behind, found and
 * cleaned up when the agent starts, before it serves anything: cryptdev
 * processes and their mounts below $HOMEFS_RUNTIME_DIR/homes, loop devices
 * over them. A homefsd that still runs is not touched: it re-registers by
 * itself (it retries every second) and is adopted (front_ensure).
 * cryptdev: the engine binary, whose processes are the stale ones. */
void recover_at_start(const char *cryptdev);

/* The state of a home path before a front is started on it:
 *   0  nothing mounted there (or a dead FUSE mount, now detached);
 *   1  a live FUSE mount: a homefsd that may register;
 *   negative errno when the path cannot be examined. */
int recover_front_mount(const char *home_directory);

/* A FUSE mount on path whose daemon is gone: every access answers ENOTCONN.
 * (Never blocks: an aborted connection answers at once.) */
bool recover_mount_is_dead(const char *path);

/* Lazily unmount whatever is mounted on path (never following a symlink). */
int recover_detach_mount(const char *path);
