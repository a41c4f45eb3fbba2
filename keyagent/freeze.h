/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Freezing a user's processes while their home is locked (cgroup v2
 * cgroup.freeze). The cgroup is systemd's user-UID.slice where systemd made
 * one, else the agent's own "homefs/USER" below the cgroup2 mount, into
 * which login sessions are moved (freeze_adopt). */

/* The cgroup holding uid's sessions, or -ENOENT if there is none (no cgroup2
 * mount, or neither cgroup exists). */
int freeze_cgroup(uid_t uid, const char *user, char *buf, size_t size);

/* Put the process behind the connected socket fd (its SO_PEERPIDFD) into
 * the agent's cgroup of user, unless systemd's slice holds uid. A process
 * that died meanwhile (its pid may be another's now) is moved back out.
 * Errors are logged and returned; a session works without it. */
int freeze_adopt(int socket_fd, uid_t uid, const char *user);

/* Remove the agent's cgroup of user if it is empty (the last session
 * ended, the home is removed); systemd's slice is systemd's. */
void freeze_forget(const char *user);

/* Freeze (wait up to timeout_ms for every process to stop) or thaw. -ETIME
 * if some did not stop in time (they are still asked to). */
int freeze_set(const char *cgroup, bool frozen, int timeout_ms);
