/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where homefs keeps things. Only paths come from the environment (so tests
 * run isolated), never secrets:
 *   HOMEFS_STATE_DIR    default /var/lib/homefs   records/, spool/
 *   HOMEFS_RUNTIME_DIR  default /run/homefs       agent.sock, homes/<user>/ */

/* homefs-cryptdev creates "<its mountpoint>" HOMEFS_HOST_FULL_SUFFIX (in the
 * home's root-only runtime directory) when a write to the image fails
 * because the host filesystem is full; the agent's watcher then locks the
 * home. */
#define HOMEFS_HOST_FULL_SUFFIX ".host-full"

const char *homefs_state_dir(void);
#define HOMEFS_RUNTIME_DIR_DEFAULT "/run/homefs"
#define HOMEFS_STATE_DIR_DEFAULT "/var/lib/homefs"

const char *homefs_runtime_dir(void);

/* Writes "<runtime>/agent.sock" into buf; -ENAMETOOLONG if it does not fit a
 * sockaddr_un. */
int homefs_agent_socket_path(char *buf, size_t size);
