/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which activation to use: kept apart from the activation itself so that the
 * choice is unit-tested without device-mapper, FUSE or root. */
#include <errno.h>

#include "activation-mode.h"
#include "macro.h"

int activation_mode_from_string(const char *s, enum activation_mode *ret) {
        if (streq(s, "auto"))
                *ret = ACTIVATION_AUTO;
        else if (streq(s, "dm-crypt"))
                *ret = ACTIVATION_DM_CRYPT;
        else if (streq(s, "userspace"))
                *ret = ACTIVATION_USERSPACE;
        else
                return -EINVAL;
        return 0;
}

const char *activation_mode_to_string(enum activation_mode m) {
        switch (m) {
        case ACTIVATION_DM_CRYPT:
                return "dm-crypt";
        case ACTIVATION_USERSPACE:
                return "userspace";
        default:
                return "auto";
        }
}

int activation_choose(enum activation_mode requested, bool have_device_mapper, enum activation_mode *ret) {
        switch (requested) {
        case ACTIVATION_AUTO:
                *ret = have_device_mapper ? ACTIVATION_DM_CRYPT : ACTIVATION_USERSPACE;
                return 0;
        case ACTIVATION_DM_CRYPT:
                if (!have_device_mapper)
                        return -EOPNOTSUPP;
                *ret = ACTIVATION_DM_CRYPT;
                return 0;
        case ACTIVATION_USERSPACE:
                *ret = ACTIVATION_USERSPACE;
                return 0;
        }
        return -EINVAL;
}
