/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "agent-error.h"

/* Room on the host for sparse images. An image takes host space only as the
 * filesystem inside writes to it, so the sizes of the homes on one host
 * filesystem are promises: if they add up to more than it can hold, one
 * user filling theirs makes another's writes fail. Create and resize keep
 * the promises within the room (or, when the administrator allows
 * overcommit, warn); inspect and list show it. */

struct host_room {
        uint64_t free;     /* bytes the filesystem holding the images can still take (f_bavail) */
        uint64_t promised; /* bytes the homes on it may still claim: their sizes minus what they take */
};

/* The room on the filesystem holding image_path; homes of every record
 * except skip_user (NULL: none skipped) count as promised. */
int host_room_get(const char *image_path, const char *skip_user, struct host_room *ret);

/* May an image at image_path for user grow to size bytes, of which
 * allocated are taken already? Refused with -ENOSPC and a message unless
 * allow_overcommit; then *ret_overcommitted is set and a warning logged. */
int host_room_check(const char *image_path, const char *user, uint64_t size, uint64_t allocated,
                    bool allow_overcommit, bool *ret_overcommitted, struct agent_error *e);
