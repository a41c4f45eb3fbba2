/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* dm-crypt activation and teardown of a home's image, with the device-mapper
 * calls behind an interface (the sequence is unit-tested with a fake: this
 * machine has no device-mapper).
 *
 * Teardown: the mapping cannot go while something still holds the
 * filesystem on it (a passthrough fd, a file a process keeps open after
 * lock): -EBUSY is retried as the holders go, and if they outlast the
 * retries, the mapping is handed to deferred removal (the kernel removes it,
 * and the key with it, when the last holder closes it).
 *
 * Activation: a mapping of the home's name left from before (a teardown
 * that failed, an agent that died) is a stale mapping of the same image if
 * its LUKS UUID is the image's: it is torn down as above and activated
 * anew (a clean takeover); a mapping of that name over another image is
 * refused (-EEXIST). */

struct dm_crypt_ops {
        /* The LUKS UUID of the image at image_path. */
        int (*image_uuid)(void *userdata, const char *image_path, char *buf, size_t size);
        /* The LUKS UUID of the active mapping name; -ENODEV if there is none. */
        int (*mapping_uuid)(void *userdata, const char *name, char *buf, size_t size);
        int (*activate)(void *userdata, const char *image_path, const char *name, const void *key, size_t key_size,
                        bool discard);
        /* -EBUSY while the device is held; -ENODEV if there is no mapping.
         * deferred: remove it once the last holder has closed it. */
        int (*deactivate)(void *userdata, const char *name, bool deferred);
        void (*sleep_ms)(void *userdata, unsigned ms);
};

/* libcryptsetup's (dm-crypt-cryptsetup.c). */
extern const struct dm_crypt_ops dm_crypt_cryptsetup_ops;

#define DM_CRYPT_BUSY_TRIES 10      /* deactivation attempts while held: ~7.5 s */
#define DM_CRYPT_BUSY_WAIT_MS 100   /* first wait; doubles up to 1 s */

/* Activate image_path as name, taking over a stale mapping of the same image. */
int dm_crypt_activate(const struct dm_crypt_ops *ops, void *userdata, const char *image_path, const char *name,
                      const void *key, size_t key_size, bool discard);

/* Deactivate name, retrying while held, then deferred. 0 once gone (or no
 * mapping), -EBUSY when only deferred removal was possible, other negative
 * errno on failure. */
int dm_crypt_deactivate(const struct dm_crypt_ops *ops, void *userdata, const char *name);
