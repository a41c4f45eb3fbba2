/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The service manager's readiness protocol (sd_notify(3), Type=notify),
 * spoken by hand: one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET
 * (a path, or "@name" in the abstract namespace). notify_init() takes the
 * address and removes the variable, so that no child inherits it; then
 * notify_send() sends "READY=1", "STOPPING=1", "STATUS=..." lines. Both do
 * nothing without a manager; failures are returned (negative errno), never
 * fatal. */
int notify_init(void);
int notify_send(const char *state);
