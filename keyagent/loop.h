/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Attach a free loop device to file (opened O_RDWR, plus O_DIRECT when
 * direct_io) with LOOP_CONFIGURE: the given logical block size (512..4096,
 * a power of two; 4096 over homefs-cryptdev so nothing is read-modify-written),
 * LO_FLAGS_AUTOCLEAR, and LO_FLAGS_DIRECT_IO when direct_io. Retries when
 * another process takes the free device first.
 *
 * On success writes the device path ("/dev/loopN") to ret_dev (size bytes)
 * and returns an open fd to the device in *ret_fd. Because of AUTOCLEAR the
 * device detaches itself once nothing holds it: keep the fd until the
 * filesystem on it is mounted, then loop_detach() or close it.
 * Returns 0 or a negative errno. */
int loop_attach(const char *file, uint32_t block_size, bool direct_io,
                char *ret_dev, size_t size, int *ret_fd);

/* Detach (immediately if unused, otherwise as soon as the last user closes
 * it) and close loop_fd. Returns 0 or a negative errno; the fd is closed in
 * every case. */
int loop_detach(int loop_fd);

/* Re-read the size of the backing file (after it grew). */
int loop_set_capacity(int loop_fd);
