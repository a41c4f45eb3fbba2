/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "proto.h"

/* Serve one client connection until it closes: read calls, check who may
 * make them (SO_PEERCRED), run them, reply. Takes the conn over. */
void dispatch_connection(struct proto_conn *conn);
