/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "dm-crypt.h"
#include "log.h"

#define UUID_MAX 64

int dm_crypt_deactivate(const struct dm_crypt_ops *ops, void *userdata, const char *name) {
        unsigned wait_ms = DM_CRYPT_BUSY_WAIT_MS;
        int r = -EBUSY;

        for (unsigned i = 0; i < DM_CRYPT_BUSY_TRIES && r == -EBUSY; i++) {
                if (i > 0) {
                        ops->sleep_ms(userdata, wait_ms);
                        wait_ms = wait_ms * 2 > 1000 ? 1000 : wait_ms * 2;
                }
                r = ops->deactivate(userdata, name, false);
        }
        if (r == -ENODEV)
                return 0;
        if (r != -EBUSY)
                return r < 0 ? log_warning_errno(r, "deactivating %s: %m", name) : 0;
        /* Still held: a process keeps a file of the locked home open. The
         * kernel removes the mapping (and its key) when that file closes. */
        r = ops->deactivate(userdata, name, true);
        if (r < 0 && r != -ENODEV)
                return log_warning_errno(r, "deactivating %s (deferred): %m", name);
        log_warning("%s is still held open; it is removed, with its key, when the last holder closes it", name);
        return r == -ENODEV ? 0 : -EBUSY;
}

int dm_crypt_activate(const struct dm_crypt_ops *ops, void *userdata, const char *image_path, const char *name,
                      const void *key, size_t key_size, bool discard) {
        char image[UUID_MAX], mapping[UUID_MAX];
        int r;

        r = ops->mapping_uuid(userdata, name, mapping, sizeof(mapping));
        if (r >= 0) {
                r = ops->image_uuid(userdata, image_path, image, sizeof(image));
                if (r < 0)
                        return log_error_errno(r, "cannot read the LUKS UUID of %s: %m", image_path);
                if (strcmp(image, mapping) != 0)
                        return log_error_errno(-EEXIST, "a device-mapper device %s of another image (LUKS UUID %s) exists; "
                                               "remove it with 'cryptsetup close %s'", name, mapping, name);
                log_info("taking over the stale mapping %s of %s", name, image_path);
                r = dm_crypt_deactivate(ops, userdata, name);
                if (r < 0)
                        return log_error_errno(r, "the stale mapping %s is still held open; close the files of the home "
                                               "that processes still hold (see 'homefsctl inspect') and retry", name);
        } else if (r != -ENODEV)
                return log_error_errno(r, "cannot look up %s: %m", name);
        r = ops->activate(userdata, image_path, name, key, key_size, discard);
        return r < 0 ? log_error_errno(r, "dm-crypt activation of %s failed: %m", image_path) : 0;
}
