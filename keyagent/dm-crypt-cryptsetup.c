/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dm-crypt-cryptsetup.c: the dm_crypt_ops of libcryptsetup. */
#include <errno.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <time.h>

#include "dm-crypt.h"

static int copy_uuid(struct crypt_device *cd, char *buf, size_t size) {
        const char *uuid = crypt_get_uuid(cd);

        if (!uuid)
                return -ENODATA;
        return (size_t) snprintf(buf, size, "%s", uuid) < size ? 0 : -ENAMETOOLONG;
}

/* The image's LUKS2 header, loaded (*ret freed by the caller either way). */
static int load_image(const char *image_path, struct crypt_device **ret) {
        int r = crypt_init(ret, image_path);

        return r < 0 ? r : crypt_load(*ret, CRYPT_LUKS2, NULL);
}

static int cs_image_uuid(void *userdata, const char *image_path, char *buf, size_t size) {
        struct crypt_device *cd = NULL;
        int r = load_image(image_path, &cd);

        if (r >= 0)
                r = copy_uuid(cd, buf, size);
        crypt_free(cd);
        return r;
}

static int cs_mapping_uuid(void *userdata, const char *name, char *buf, size_t size) {
        struct crypt_device *cd = NULL;
        int r;

        if (crypt_status(NULL, name) == CRYPT_INACTIVE)
                return -ENODEV;
        r = crypt_init_by_name(&cd, name);
        if (r >= 0)
                r = copy_uuid(cd, buf, size);
        crypt_free(cd);
        return r;
}

static int cs_activate(void *userdata, const char *image_path, const char *name, const void *key, size_t key_size,
                       bool discard) {
        struct crypt_device *cd = NULL;
        int r = load_image(image_path, &cd);

        if (r >= 0)
                r = crypt_activate_by_volume_key(cd, name, key, key_size, discard ? CRYPT_ACTIVATE_ALLOW_DISCARDS : 0);
        crypt_free(cd);
        return r;
}

static int cs_deactivate(void *userdata, const char *name, bool deferred) {
        if (crypt_status(NULL, name) == CRYPT_INACTIVE)
                return -ENODEV;
        return crypt_deactivate_by_name(NULL, name, deferred ? CRYPT_DEACTIVATE_DEFERRED : 0);
}

static void cs_sleep_ms(void *userdata, unsigned ms) {
        nanosleep(&(struct timespec) { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L }, NULL);
}

const struct dm_crypt_ops dm_crypt_cryptsetup_ops = {
        .image_uuid = cs_image_uuid,
        .mapping_uuid = cs_mapping_uuid,
        .activate = cs_activate,
        .deactivate = cs_deactivate,
        .sleep_ms = cs_sleep_ms,
};
