/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <libcryptsetup.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "luks.h"


/* The record's PBKDF choice as libcryptsetup wants it. Forcing iterations
 * skips the benchmark (tests use pbkdf2 with 1000 iterations). */
void luks_pbkdf_from_record(const struct user_record *r, struct crypt_pbkdf_type *p) {
        const char *type = r->luks_pbkdf_type ? r->luks_pbkdf_type : CRYPT_KDF_ARGON2ID;

        memset(p, 0, sizeof(*p));
        p->type = type;
        p->hash = r->luks_pbkdf_hash_algorithm ? r->luks_pbkdf_hash_algorithm : "sha256";
        if (r->luks_pbkdf_force_iterations > 0) {
                p->iterations = (uint32_t) r->luks_pbkdf_force_iterations;
                p->flags |= CRYPT_PBKDF_NO_BENCHMARK;
        } else
                p->time_ms = r->luks_pbkdf_time_cost_usec > 0 ? (uint32_t) (r->luks_pbkdf_time_cost_usec / 1000) : 2000;
        if (p->time_ms == 0 && !(p->flags & CRYPT_PBKDF_NO_BENCHMARK))
                p->time_ms = 1;
        if (strcmp(type, CRYPT_KDF_PBKDF2) != 0) {
                p->max_memory_kb = r->luks_pbkdf_memory_cost > 0 ? (uint32_t) (r->luks_pbkdf_memory_cost / 1024) : 1024 * 1024;
                p->parallel_threads = r->luks_pbkdf_parallel_threads > 0 ? (uint32_t) r->luks_pbkdf_parallel_threads : 4;
                if (p->flags & CRYPT_PBKDF_NO_BENCHMARK && p->iterations < 4)
                        p->iterations = 4; /* argon2's minimum time cost */
        }
}

int luks_open(const char *image_path, struct crypt_device **ret) {
        struct crypt_device *cd;
        int r;

        r = crypt_init(&cd, image_path);
        if (r < 0)
                return log_error_errno(r, "cannot open %s: %m", image_path);
        r = crypt_load(cd, CRYPT_LUKS2, NULL);
        if (r < 0) {
                crypt_free(cd);
                return log_error_errno(r, "%s is not a LUKS2 image: %m", image_path);
        }
        *ret = cd;
        return 0;
}

int luks_format(const char *image_path, const struct user_record *r, const char *password) {
        _cleanup_crypt_ struct crypt_device *cd = NULL;
        struct crypt_pbkdf_type pbkdf;
        struct crypt_params_luks2 params = {
                .sector_size = r->luks_sector_size ? r->luks_sector_size : 4096,
                .label = r->user_name,
        };
        int k;

        luks_pbkdf_from_record(r, &pbkdf);
        params.pbkdf = &pbkdf;

        k = crypt_init(&cd, image_path);
        if (k < 0)
                return log_error_errno(k, "cannot open %s: %m", image_path);
        k = crypt_set_pbkdf_type(cd, &pbkdf);
        if (k < 0)
                return log_error_errno(k, "PBKDF settings rejected by libcryptsetup: %m");
        k = crypt_format(cd, CRYPT_LUKS2,
                         r->luks_cipher ? r->luks_cipher : "aes",
                         r->luks_cipher_mode ? r->luks_cipher_mode : "xts-plain64",
                         NULL, NULL,
                         r->luks_volume_key_size ? r->luks_volume_key_size : 64, &params);
        if (k < 0)
                return log_error_errno(k, "LUKS2 format of %s failed: %m", image_path);
        k = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, NULL, 0, password, strlen(password));
        if (k < 0)
                return log_error_errno(k, "adding the password keyslot to %s failed: %m", image_path);
        return 0;
}

static int read_geometry(struct crypt_device *cd, struct luks_geometry *geo, uint64_t image_size) {
        const char *cipher = crypt_get_cipher(cd), *mode = crypt_get_cipher_mode(cd);
        uint64_t offset = crypt_get_data_offset(cd) * 512; /* counted in 512-byte sectors */

        if (!cipher || !mode || strlen(cipher) >= sizeof(geo->cipher) || strlen(mode) >= sizeof(geo->cipher_mode))
                return -EINVAL;
        strcpy(geo->cipher, cipher);
        strcpy(geo->cipher_mode, mode);
        geo->data_offset = offset;
        geo->sector_size = (uint32_t) crypt_get_sector_size(cd);
        geo->iv_tweak = crypt_get_iv_offset(cd);
        if (image_size <= offset || geo->sector_size == 0 || geo->data_offset % geo->sector_size != 0)
                return -EINVAL;
        geo->data_size = (image_size - offset) / geo->sector_size * geo->sector_size;
        return 0;
}

int luks_get_volume_key_slot(const char *image_path, int keyslot, const char *password,
                             void *key, size_t *key_size, struct luks_geometry *geo) {
        _cleanup_crypt_ struct crypt_device *cd = NULL;
        size_t size = LUKS_VOLUME_KEY_MAX;
        int r;

        r = luks_open(image_path, &cd);
        if (r < 0)
                return r;
        if ((size_t) crypt_get_volume_key_size(cd) > LUKS_VOLUME_KEY_MAX)
                return log_error_errno(-EINVAL, "%s: volume key larger than %u bytes", image_path, LUKS_VOLUME_KEY_MAX);
        r = crypt_volume_key_get(cd, keyslot, key, &size, password, strlen(password));
        if (r == -EPERM || r == -ENOENT)
                return -EPERM;
        if (r < 0)
                return log_error_errno(r, "reading the volume key of %s failed: %m", image_path);
        *key_size = size;
        if (geo) {
                struct stat st;

                /* The data segment is "dynamic": it ends where the image ends. */
                r = stat(image_path, &st) < 0 ? -errno : read_geometry(cd, geo, (uint64_t) st.st_size);
                if (r < 0) {
                        explicit_bzero(key, LUKS_VOLUME_KEY_MAX);
                        return log_error_errno(r, "%s: unsupported LUKS2 layout", image_path);
                }
        }
        return 0;
}

int luks_get_volume_key(const char *image_path, const char *password,
                        void *key, size_t *key_size, struct luks_geometry *geo) {
        return luks_get_volume_key_slot(image_path, CRYPT_ANY_SLOT, password, key, key_size, geo);
}

int luks_change_password(const char *image_path, const struct user_record *r,
                         const char *old_password, const char *new_password) {
        _cleanup_crypt_ struct crypt_device *cd = NULL;
        struct crypt_pbkdf_type pbkdf;
        int k;

        k = luks_open(image_path, &cd);
        if (k < 0)
                return k;
        luks_pbkdf_from_record(r, &pbkdf);
        k = crypt_set_pbkdf_type(cd, &pbkdf);
        if (k < 0)
                return log_error_errno(k, "PBKDF settings rejected by libcryptsetup: %m");
        k = crypt_keyslot_change_by_passphrase(cd, CRYPT_ANY_SLOT, CRYPT_ANY_SLOT,
                                               old_password, strlen(old_password),
                                               new_password, strlen(new_password));
        if (k == -EPERM || k == -ENOENT)
                return -EPERM;
        if (k < 0)
                return log_error_errno(k, "changing the keyslot of %s failed: %m", image_path);
        return 0;
}
