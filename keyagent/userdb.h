/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "agent-config.h"
#include "proto.h"

/* The io.systemd.UserDatabase service (see userdb.c). */

#define USERDB_SOCKET_DEFAULT "/run/systemd/userdb/io.homefs"
#define USERDB_SERVICE_MAX 108U

/* The service name: the socket's file name (a pointer into socket_path),
 * or NULL if it has none or one too long. */
const char *userdb_service_name(const char *socket_path);

/* Serve one client until it hangs up; frees conn. */
void userdb_serve_connection(const struct agent_config *config, struct proto_conn *conn, uid_t peer_uid);
