/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "luks.h"

/* Turning an image plus its volume key into a block device holding the
 * decrypted filesystem: dm-crypt through libcryptsetup where the kernel has
 * device-mapper, else homefs-cryptdev (userspace AES-XTS over FUSE) with a
 * loop device on top. */

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

/* True when /dev/mapper/control can be opened. */
bool activation_have_device_mapper(void);

struct activation {
        enum activation_mode mode;       /* DM_CRYPT or USERSPACE once active */
        char device[PATH_MAX];           /* the decrypted block device */
        char dm_name[128];               /* dm-crypt: mapping name */
        char cryptdev_dir[PATH_MAX];     /* userspace: cryptdev mountpoint */
        pid_t cryptdev_pid;
        int loop_fd;
        uint64_t data_offset;            /* bytes, for activation_grow() */
};

void activation_init(struct activation *a);

/* Activate image with key. runtime_dir is the home's private runtime
 * directory (for the cryptdev mountpoint). discard: let discards through to
 * the image (holes punched in it). */
int activation_start(struct activation *a, enum activation_mode mode, const char *cryptdev_binary,
                     const char *image_path, const char *user_name, const char *runtime_dir,
                     const void *key, size_t key_size, const struct luks_geometry *geo, bool discard);

/* After the image file grew to image_size bytes: make the block device as
 * large as the data segment now is: cryptdev's volume and the loop device's
 * capacity, or dm-crypt's table. */
int activation_grow(struct activation *a, uint64_t image_size);

/* True once the engine found the host filesystem holding the image full
 * (HOMEFS_HOST_FULL_SUFFIX): its writes fail until there is room. */
bool activation_host_full(const struct activation *a);

/* Tear down; safe on a partly started activation. */
int activation_stop(struct activation *a);
