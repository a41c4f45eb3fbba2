/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Changing the size of the home's ext4: online growth with the kernel's
 * EXT4_IOC_RESIZE_FS (resize2fs cannot do it here: the filesystem is mounted
 * detached, so resize2fs would not see it mounted and would write to it
 * offline; the kernel wants CAP_SYS_RESOURCE for it), offline growth at
 * unlock before the mount, offline shrinking with e2fsck -f and resize2fs. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "backing.h"
#include "log.h"
#include "macro.h"
#include "spawn.h"

#ifndef EXT4_IOC_RESIZE_FS
#define EXT4_IOC_RESIZE_FS _IOW('f', 16, uint64_t)
#endif

#define FS_BLOCK_SIZE 4096U /* backing_mkfs() makes 4096-byte blocks */

static int device_size(const char *device, uint64_t *ret) {
        _cleanup_close_ int fd = open(device, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        return ioctl(fd, BLKGETSIZE64, ret) < 0 ? -errno : 0;
}

int backing_grow(int mount_fd, const char *device) {
        _cleanup_close_ int fd = openat(mount_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct statfs sf;
        uint64_t size, blocks;
        int r;

        if (fd < 0)
                return log_error_errno(-errno, "opening the home's filesystem: %m");
        r = device_size(device, &size);
        if (r < 0)
                return log_error_errno(r, "size of %s: %m", device);
        if (fstatfs(fd, &sf) < 0 || sf.f_bsize <= 0)
                return log_error_errno(-errno, "statfs of the home's filesystem: %m");
        blocks = size / (uint64_t) sf.f_bsize;
        /* The kernel does nothing when the size is already right. */
        if (ioctl(fd, EXT4_IOC_RESIZE_FS, &blocks) < 0)
                return log_error_errno(-errno, "growing the filesystem on %s to %" PRIu64 " blocks: %m", device, blocks);
        return 0;
}

/* The block count in the ext4 superblock (at byte 1024 of the device). */
static int fs_blocks(const char *device, uint64_t *ret_blocks, uint64_t *ret_block_size) {
        _cleanup_close_ int fd = open(device, O_RDONLY | O_CLOEXEC);
        uint8_t sb[1024];
        uint32_t lo, hi = 0, log_bs, incompat;

        if (fd < 0)
                return -errno;
        if (pread(fd, sb, sizeof(sb), 1024) != (ssize_t) sizeof(sb))
                return -EIO;
        if (sb[0x38] != 0x53 || sb[0x39] != 0xef) /* s_magic */
                return -EBADMSG;
        memcpy(&lo, sb + 0x04, 4);
        memcpy(&log_bs, sb + 0x18, 4);
        memcpy(&incompat, sb + 0x60, 4);
        if (incompat & 0x80) /* INCOMPAT_64BIT */
                memcpy(&hi, sb + 0x150, 4);
        if (log_bs > 6)
                return -EBADMSG;
        *ret_blocks = (uint64_t) le32toh(hi) << 32 | le32toh(lo);
        *ret_block_size = 1024ULL << le32toh(log_bs);
        return 0;
}

/* resize2fs insists on a forced check since the last mount. Finds
 * resize2fs on the way. */
static int fsck_forced(const char *device, char resize2fs[static 64]) {
        char e2fsck[64];
        int r;

        if (find_program("e2fsck", e2fsck, 64) < 0 || find_program("resize2fs", resize2fs, 64) < 0)
                return log_error_errno(-ENOENT, "e2fsck or resize2fs not found; install e2fsprogs");
        r = spawn_run((char *[]) { e2fsck, "-f", "-p", (char *) device, NULL });
        if (r < 0)
                return log_error_errno(r, "e2fsck -f on %s could not run: %m", device);
        if (r > 2)
                return log_error_errno(-EUCLEAN, "e2fsck -f on %s failed (exit status %d); run it by hand", device, r);
        return 0;
}

int backing_grow_offline(const char *device) {
        uint64_t size = 0, blocks = 0, bs = 4096;
        char resize2fs[64];
        int r;

        r = device_size(device, &size);
        if (r >= 0)
                r = fs_blocks(device, &blocks, &bs);
        if (r < 0)
                return log_error_errno(r, "reading the size of the filesystem on %s: %m", device);
        if (size / bs <= blocks)
                return 0;
        r = fsck_forced(device, resize2fs);
        if (r < 0)
                return r;
        r = spawn_run((char *[]) { resize2fs, (char *) device, NULL });
        if (r < 0)
                return log_error_errno(r, "resize2fs %s could not run: %m", device);
        if (r > 0)
                return log_error_errno(-EIO, "resize2fs %s failed (exit status %d)", device, r);
        log_info("grew the filesystem on %s from %" PRIu64 " to %" PRIu64 " blocks", device, blocks, size / bs);
        return 0;
}

/* resize2fs -P: the smallest the filesystem can be, in bytes. */
static int min_size(const char *resize2fs, const char *device, uint64_t *ret) {
        char out[512], *p;
        unsigned long long blocks;
        int r;

        r = spawn_run_capture((char *[]) { (char *) resize2fs, "-P", (char *) device, NULL }, out, sizeof(out));
        if (r < 0)
                return log_error_errno(r, "resize2fs -P %s could not run: %m", device);
        if (r > 0)
                return log_error_errno(-EIO, "resize2fs -P %s failed (exit status %d)", device, r);
        p = strstr(out, "filesystem: ");
        if (!p || sscanf(p + strlen("filesystem: "), "%llu", &blocks) != 1)
                return log_error_errno(-EBADMSG, "cannot parse resize2fs -P output: %s", out);
        *ret = (uint64_t) blocks * FS_BLOCK_SIZE;
        return 0;
}

int backing_shrink(const char *device, uint64_t size, uint64_t *ret_min) {
        char resize2fs[64], blocks[32];
        uint64_t min = 0;
        int r;

        r = fsck_forced(device, resize2fs);
        if (r < 0)
                return r;
        r = min_size(resize2fs, device, &min);
        if (r < 0)
                return r;
        *ret_min = min;
        if (size == 0) /* as small as possible */
                size = min;
        else if (size < min)
                return -ENOSPC;
        snprintf(blocks, sizeof(blocks), "%" PRIu64, size / FS_BLOCK_SIZE);
        r = spawn_run((char *[]) { resize2fs, (char *) device, blocks, NULL });
        if (r < 0)
                return log_error_errno(r, "resize2fs %s %s could not run: %m", device, blocks);
        if (r > 0)
                return log_error_errno(-EIO, "resize2fs %s %s failed (exit status %d)", device, blocks, r);
        return 0;
}
