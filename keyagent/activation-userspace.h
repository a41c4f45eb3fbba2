/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Start homefs-cryptdev serving the decrypted data segment of image_path as
 * mountpoint_dir/volume, and wait (at most 10 s) until it serves.
 *
 * offset_bytes and size_bytes locate the data segment in bytes (note that
 * crypt_get_data_offset() counts 512-byte sectors); iv_tweak is the segment's
 * IV offset in 512-byte units (normally 0); key is the 64-byte volume key,
 * handed to the child through a socket on its fd 3, never argv or the
 * environment; the caller still owns and wipes it. discard: punch discarded
 * ranges out of the image (the record's luksDiscard).
 *
 * mountpoint_dir is created (mode 0700) if missing. The child gets only fds
 * 0-4 (stdout and stderr are shared for logging). On failure the child is
 * killed and reaped. Returns 0, the child's pid and the control socket (the
 * one the key went through; the caller closes it), or a negative errno. */
int cryptdev_start(const char *cryptdev_binary, const char *image_path,
                   uint64_t offset_bytes, uint64_t size_bytes, uint32_t sector_size,
                   uint64_t iv_tweak, const void *key, size_t key_size, bool discard,
                   const char *mountpoint_dir, pid_t *ret_pid, int *ret_control_fd);

/* One command over the control socket and its answer (cryptdev/cryptdev-key.c
 * lists them): 'W' wipe the key and hold requests, 'K' with the key give it
 * back, 'F' fail held and later requests. -ETIMEDOUT after timeout_ms. */
int cryptdev_control(int control_fd, char command, const void *key, size_t key_size, int timeout_ms);

/* Unmount mountpoint_dir, wait for the daemon to exit (SIGTERM after 5 s,
 * SIGKILL after 10 s), reap it and remove the mount point directory. Detach
 * the loop device first. If the volume is still busy, only a filesystem that
 * was shut down can hold it (the caller's guarantee): then the mount is
 * detached lazily and the daemon killed at once. Returns 0 if the daemon exited cleanly,
 * -ETIMEDOUT if it had to be killed, -EIO if it failed, other negative
 * errnos on bad arguments; cleans up as much as it can in every case. */
int cryptdev_stop(const char *mountpoint_dir, pid_t pid);
