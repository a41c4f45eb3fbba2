/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "activation-mode.h"
#include "luks.h"

/* Turning an image plus its volume key into a block device holding the
 * decrypted filesystem: dm-crypt through libcryptsetup where the kernel has
 * device-mapper, else homefs-cryptdev (userspace AES-XTS over FUSE) with a
 * loop device on top. */

/* True when /dev/mapper/control can be opened. */
bool activation_have_device_mapper(void);

struct activation {
        enum activation_mode mode;       /* DM_CRYPT or USERSPACE once active */
        char device[PATH_MAX];           /* the decrypted block device */
        char dm_name[128];               /* dm-crypt: mapping name */
        char cryptdev_dir[PATH_MAX];     /* userspace: cryptdev mountpoint */
        pid_t cryptdev_pid;
        int control_fd;                  /* userspace: cryptdev's control socket */
        bool suspended;                  /* key wiped, I/O held (activation-suspend.c) */
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

/* Lock with sessions kept (activation-suspend.c): wipe the key from the
 * engine and hold every new request (crypt_suspend with dm-crypt; cryptdev's
 * 'W'); the block device stays and its I/O waits. Sync the filesystem
 * first. */
int activation_suspend(struct activation *a);
/* Give the key back and release the held I/O (crypt_resume_by_volume_key;
 * cryptdev's 'K'). */
int activation_resume(struct activation *a, const void *key, size_t key_size);
/* Before tearing down a suspended activation: held and later I/O fails with
 * EIO, so that nothing waits for a key that will not come back. */
int activation_fail_held(struct activation *a);

/* True once the engine found the host filesystem holding the image full
 * (HOMEFS_HOST_FULL_SUFFIX): its writes fail until there is room. */
bool activation_host_full(const struct activation *a);

/* Tear down; safe on a partly started activation. */
int activation_stop(struct activation *a);
