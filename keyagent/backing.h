/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The decrypted filesystem: made with mkfs.ext4, checked with e2fsck, mounted
 * DETACHED (fsopen/fsmount): it has no path, only file descriptors. The home
 * lives in the directory "<userName>" at its root, as with systemd-homed. */

int backing_mkfs(const char *device, const char *label);

/* e2fsck -p: repair what is safe to repair. Fails only if the filesystem
 * needs a human. */
int backing_fsck(const char *device);

/* Grow the mounted filesystem to fill its device (backing-resize.c). */
int backing_grow(int mount_fd, const char *device);

/* Grow the unmounted filesystem on device to fill it, if it is smaller. */
int backing_grow_offline(const char *device);

/* Shrink the unmounted filesystem on device to size bytes (a multiple of
 * 4096; 0: its minimum) after a forced e2fsck. *ret_min: the smallest size
 * it can have; -ENOSPC if size is below it. */
int backing_shrink(const char *device, uint64_t size, uint64_t *ret_min);

/* Mount the device detached; returns the mount's root fd. */
int backing_mount(const char *device, bool discard, int *ret_mount_fd);

/* Make the home directory (mode 0700, owned by uid/gid) and fill it from
 * skel_dir (usually /etc/skel; a missing skel is not an error). */
int backing_populate(int mount_fd, const char *user_name, uid_t uid, gid_t gid, const char *skel_dir);

/* Open the home directory inside the mounted filesystem. */
int backing_open_home(int mount_fd, const char *user_name, int *ret_fd);

/* syncfs() of the mounted filesystem. */
int backing_sync(int mount_fd);

/* Flush everything, then shut the filesystem down (EXT4_IOC_SHUTDOWN with the
 * default flag: sync first), so every handle still open into it fails with
 * EIO from now on. The caller closes mount_fd afterwards. */
int backing_shutdown(int mount_fd);
