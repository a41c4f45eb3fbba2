/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "agent-config.h"
#include "proto.h"

/* Serve one client connection until it closes, is idle too long or
 * misbehaves: read calls, check who may make them (peer_uid, from
 * SO_PEERCRED), run them, reply. Takes the conn over. */
void dispatch_connection(const struct agent_config *config, struct proto_conn *conn, uid_t peer_uid, uid_t account);
