/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libcryptsetup.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "macro.h"
#include "record.h"

/* LUKS2 through libcryptsetup: format, keyslots, the volume key. Works on an
 * image file without device-mapper (only activation needs dm). */

#define LUKS_VOLUME_KEY_MAX 64U

static inline void crypt_freep(struct crypt_device **cd) {
        crypt_free(*cd);
}
#define _cleanup_crypt_ _cleanup_(crypt_freep)

/* crypt_init and crypt_load of a LUKS2 image (errors logged). */
int luks_open(const char *image_path, struct crypt_device **ret);

/* The record's PBKDF choice as libcryptsetup wants it. */
void luks_pbkdf_from_record(const struct user_record *r, struct crypt_pbkdf_type *p);

/* Where the encrypted data lives in the image, for the userspace engine. */
struct luks_geometry {
        uint64_t data_offset;   /* bytes from the start of the image */
        uint64_t data_size;     /* bytes of the data segment */
        uint32_t sector_size;   /* bytes */
        uint64_t iv_tweak;      /* in 512-byte units */
        char cipher[32];        /* "aes" */
        char cipher_mode[32];   /* "xts-plain64" */
};

/* Format the (already sized) image with a fresh random volume key and add a
 * keyslot for the password, using the record's cipher and PBKDF settings.
 * The LUKS label is the user name. */
int luks_format(const char *image_path, const struct user_record *r, const char *password);

/* Open a keyslot with the password and return the volume key in key (secret
 * memory of LUKS_VOLUME_KEY_MAX bytes, supplied by the caller). -EPERM for a
 * password that opens no keyslot. */
int luks_get_volume_key(const char *image_path, const char *password,
                        void *key, size_t *key_size, struct luks_geometry *geo);

/* The same, trying only one keyslot (CRYPT_ANY_SLOT: all). */
int luks_get_volume_key_slot(const char *image_path, int keyslot, const char *password,
                             void *key, size_t *key_size, struct luks_geometry *geo);

/* Replace the keyslot opened by old_password with one for new_password, with
 * the record's PBKDF settings. -EPERM for a wrong old password. */
int luks_change_password(const char *image_path, const struct user_record *r,
                         const char *old_password, const char *new_password);
