/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Turn on the fuse module parameter enable_uring. Returns 1 if it did, 0 if
 * it was on, or a negative errno (logged). */
int fuse_uring_enable(void);
