/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "home.h"

/* The agent's side of its link to homefsd (docs/protocol.md, "Front calls").
 * All of these are called with the home's lock held. */

/* Start homefsd for the home unless one is connected, and wait until it has
 * mounted the home path and registered. Call with the home not activated
 * (after home_check_front()): a front lost under an activated home is
 * home-front.c's to handle. */
int front_ensure(struct home *h);

/* Hand homefsd the home directory fd: it starts serving. */
int front_attach(struct home *h, int home_fd);

/* Tell homefsd to stop serving and drop every backing fd. */
int front_detach(struct home *h);
/* Lock with sessions kept: requests that need the backing filesystem wait
 * (Hold, after those in flight are done) until Release, or fail with EIO at
 * Detach. */
int front_hold(struct home *h);
int front_release(struct home *h);

/* Tell homefsd to unmount and exit. */
int front_terminate(struct home *h);
