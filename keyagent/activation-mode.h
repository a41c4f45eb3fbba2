/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* How an image is activated (activation.h): --activation's values. */

enum activation_mode {
        ACTIVATION_AUTO,
        ACTIVATION_DM_CRYPT,
        ACTIVATION_USERSPACE,
};

/* "auto", "dm-crypt", "userspace" → mode; -EINVAL otherwise. */
int activation_mode_from_string(const char *s, enum activation_mode *ret);
const char *activation_mode_to_string(enum activation_mode m);

/* What "auto" resolves to; -EOPNOTSUPP for an explicit dm-crypt request on a
 * host without device-mapper. Pure, for the unit test. */
int activation_choose(enum activation_mode requested, bool have_device_mapper, enum activation_mode *ret);
