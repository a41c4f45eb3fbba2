/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "macro.h"

#define LOOP_MAJOR 7
#define ATTACH_ATTEMPTS 64

/* Open /dev/loopN; where /dev is a static tree (some containers) the node
 * for a freshly allocated device may be missing, so create it. */
static int loop_open(int nr, char *dev, size_t size) {
        int fd, n;

        n = snprintf(dev, size, "/dev/loop%d", nr);
        if (n < 0 || (size_t) n >= size)
                return -ENAMETOOLONG;
        fd = open(dev, O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 && errno == ENOENT) {
                if (mknod(dev, S_IFBLK | 0660, makedev(LOOP_MAJOR, (unsigned) nr)) < 0 && errno != EEXIST)
                        return negative_errno();
                fd = open(dev, O_RDWR | O_CLOEXEC | O_NOCTTY);
        }
        return fd < 0 ? negative_errno() : fd;
}

static void loop_check_dio(int fd, const char *dev) {
        struct loop_info64 info = {};

        /* The kernel may fall back to buffered I/O on the backing file. */
        if (ioctl(fd, LOOP_GET_STATUS64, &info) >= 0 && !(info.lo_flags & LO_FLAGS_DIRECT_IO))
                log_warning("%s: the kernel did not enable direct I/O", dev);
}

static int configure(int ctl, const struct loop_config *cfg, char *dev, size_t size, int *ret_fd) {
        for (int attempt = 0; attempt < ATTACH_ATTEMPTS; attempt++) {
                _cleanup_close_ int fd = -1;
                int nr;

                nr = ioctl(ctl, LOOP_CTL_GET_FREE);
                if (nr < 0)
                        return log_error_errno(errno, "LOOP_CTL_GET_FREE failed: %m");
                fd = loop_open(nr, dev, size);
                if (fd < 0)
                        return log_error_errno(fd, "cannot open loop device %d: %m", nr);
                if (ioctl(fd, LOOP_CONFIGURE, cfg) >= 0) {
                        *ret_fd = TAKE_FD(fd);
                        return 0;
                }
                if (errno != EBUSY)
                        return log_error_errno(errno, "LOOP_CONFIGURE on %s failed: %m", dev);
                /* Someone else took this device between GET_FREE and now. */
        }
        return log_error_errno(EBUSY, "no free loop device after %d attempts", ATTACH_ATTEMPTS);
}

int loop_attach(const char *file, uint32_t block_size, bool direct_io,
                char *ret_dev, size_t size, int *ret_fd) {
        _cleanup_close_ int file_fd = -1, ctl = -1;
        struct loop_config cfg = {};
        int r;

        if (!file || !ret_dev || !ret_fd || size == 0)
                return -EINVAL;
        if (block_size < 512 || block_size > 4096 || (block_size & (block_size - 1)) != 0)
                return -EINVAL;

        file_fd = open(file, O_RDWR | O_CLOEXEC | O_NOCTTY | (direct_io ? O_DIRECT : 0));
        if (file_fd < 0)
                return log_error_errno(errno, "cannot open %s: %m", file);
        ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
        if (ctl < 0)
                return log_error_errno(errno, "cannot open /dev/loop-control: %m");

        cfg.fd = (uint32_t) file_fd;
        cfg.block_size = block_size;
        cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | (direct_io ? LO_FLAGS_DIRECT_IO : 0);
        /* Only for display (losetup -l); truncation is harmless. */
        strncpy((char *) cfg.info.lo_file_name, file, LO_NAME_SIZE - 1);

        r = configure(ctl, &cfg, ret_dev, size, ret_fd);
        if (r < 0)
                return r;
        if (direct_io)
                loop_check_dio(*ret_fd, ret_dev);
        return 0;
}

int loop_detach(int loop_fd) {
        int r = 0;

        if (loop_fd < 0)
                return -EBADF;
        /* ENXIO: already detached. A busy device is marked for autoclear by
         * the kernel and goes away with its last user. */
        if (ioctl(loop_fd, LOOP_CLR_FD) < 0 && errno != ENXIO)
                r = log_error_errno(errno, "LOOP_CLR_FD failed: %m");
        safe_close(loop_fd);
        return r;
}

int loop_set_capacity(int loop_fd) {
        if (ioctl(loop_fd, LOOP_SET_CAPACITY, 0) < 0)
                return log_error_errno(errno, "LOOP_SET_CAPACITY failed: %m");
        return 0;
}
