/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <string.h>

#include "activation-userspace.h"
#include "activation.h"
#include "dm-crypt.h"
#include "log.h"
#include "loop.h"
#include "macro.h"
#include "paths.h"

#define GROW_WAIT_STEPS 500
#define GROW_WAIT_STEP_USEC 10000

bool activation_have_device_mapper(void) {
        int fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);

        if (fd < 0)
                return false;
        close(fd);
        return true;
}

void activation_init(struct activation *a) {
        memset(a, 0, sizeof(*a));
        a->loop_fd = -1;
        a->control_fd = -1;
}

static int start_dm_crypt(struct activation *a, const char *image_path, const char *user_name,
                          const void *key, size_t key_size, bool discard) {
        int r;

        snprintf(a->dm_name, sizeof(a->dm_name), "homefs-%s", user_name);
        r = dm_crypt_activate(&dm_crypt_cryptsetup_ops, NULL, image_path, a->dm_name, key, key_size, discard);
        if (r < 0) {
                a->dm_name[0] = 0;
                return r;
        }
        snprintf(a->device, sizeof(a->device), "/dev/mapper/%s", a->dm_name);
        a->mode = ACTIVATION_DM_CRYPT;
        return 0;
}

static int start_userspace(struct activation *a, const char *cryptdev_binary, const char *image_path,
                           const char *runtime_dir, const void *key, size_t key_size,
                           const struct luks_geometry *geo, bool discard) {
        char volume[PATH_MAX + 16];
        int r;

        if (!streq(geo->cipher, "aes") || !streq(geo->cipher_mode, "xts-plain64") || key_size != 64)
                return log_error_errno(-EOPNOTSUPP, "%s: the userspace engine supports only aes-xts-plain64 with a 512-bit key (image has %s-%s)",
                                       image_path, geo->cipher, geo->cipher_mode);
        if ((size_t) snprintf(a->cryptdev_dir, sizeof(a->cryptdev_dir), "%s/cryptdev", runtime_dir) >= sizeof(a->cryptdev_dir))
                return -ENAMETOOLONG;
        a->mode = ACTIVATION_USERSPACE;
        if ((size_t) snprintf(volume, sizeof(volume), "%s" HOMEFS_HOST_FULL_SUFFIX, a->cryptdev_dir) < sizeof(volume))
                (void) unlink(volume); /* left by an engine that was killed */
        r = cryptdev_start(cryptdev_binary, image_path, geo->data_offset, geo->data_size, geo->sector_size,
                           geo->iv_tweak, key, key_size, discard, a->cryptdev_dir, &a->cryptdev_pid,
                           &a->control_fd);
        if (r < 0) {
                a->cryptdev_dir[0] = 0;
                return r;
        }
        snprintf(volume, sizeof(volume), "%s/volume", a->cryptdev_dir);
        r = loop_attach(volume, geo->sector_size, true, a->device, sizeof(a->device), &a->loop_fd);
        if (r < 0)
                return log_error_errno(r, "attaching a loop device to %s failed: %m", volume);
        return 0;
}

int activation_start(struct activation *a, enum activation_mode mode, const char *cryptdev_binary,
                     const char *image_path, const char *user_name, const char *runtime_dir,
                     const void *key, size_t key_size, const struct luks_geometry *geo, bool discard) {
        enum activation_mode m;
        int r;

        activation_init(a);
        r = activation_choose(mode, activation_have_device_mapper(), &m);
        if (r < 0)
                return log_error_errno(r, "dm-crypt activation requested, but this kernel has no device-mapper; use --activation=userspace or auto");
        if (m == ACTIVATION_DM_CRYPT)
                r = start_dm_crypt(a, image_path, user_name, key, key_size, discard);
        else
                r = start_userspace(a, cryptdev_binary, image_path, runtime_dir, key, key_size, geo, discard);
        a->data_offset = geo->data_offset;
        if (r < 0)
                (void) activation_stop(a);
        return r;
}

static int grow_dm_crypt(struct activation *a) {
        struct crypt_device *cd = NULL;
        int r;

        r = crypt_init_by_name(&cd, a->dm_name);
        if (r >= 0)
                r = crypt_resize(cd, a->dm_name, 0); /* 0: up to the end of the image */
        crypt_free(cd);
        return r < 0 ? log_error_errno(r, "resizing %s: %m", a->dm_name) : 0;
}

/* cryptdev picks the new size up on SIGUSR1 and drops the kernel's cached
 * attributes; wait until the volume shows it, then tell the loop device. */
static int grow_userspace(struct activation *a, uint64_t data_size) {
        char volume[PATH_MAX + 16];
        struct stat st;

        snprintf(volume, sizeof(volume), "%s/volume", a->cryptdev_dir);
        if (kill(a->cryptdev_pid, SIGUSR1) < 0)
                return log_error_errno(-errno, "signalling homefs-cryptdev: %m");
        for (int i = 0; i < GROW_WAIT_STEPS; i++) {
                if (stat(volume, &st) < 0)
                        return log_error_errno(-errno, "stat %s: %m", volume);
                if ((uint64_t) st.st_size >= data_size)
                        return loop_set_capacity(a->loop_fd);
                usleep(GROW_WAIT_STEP_USEC);
        }
        return log_error_errno(-ETIMEDOUT, "homefs-cryptdev did not grow %s to %" PRIu64 " bytes", volume, data_size);
}

int activation_grow(struct activation *a, uint64_t image_size) {
        if (image_size <= a->data_offset)
                return -EINVAL;
        if (a->dm_name[0])
                return grow_dm_crypt(a);
        if (a->cryptdev_dir[0] && a->loop_fd >= 0)
                return grow_userspace(a, image_size - a->data_offset);
        return -ENODEV;
}

/* The engine's marker (lib/paths.h) for this activation. */
static int host_full_path(const struct activation *a, char *buf, size_t size) {
        if (!a->cryptdev_dir[0])
                return -ENODEV;
        return (size_t) snprintf(buf, size, "%s" HOMEFS_HOST_FULL_SUFFIX, a->cryptdev_dir) < size ? 0 : -ENAMETOOLONG;
}

bool activation_host_full(const struct activation *a) {
        char path[PATH_MAX + 16];

        return host_full_path(a, path, sizeof(path)) >= 0 && access(path, F_OK) == 0;
}

int activation_stop(struct activation *a) {
        char marker[PATH_MAX + 16];
        int r = 0, k;

        if (host_full_path(a, marker, sizeof(marker)) >= 0)
                (void) unlink(marker);
        if (a->loop_fd >= 0) {
                k = loop_detach(a->loop_fd);
                if (k < 0)
                        r = log_warning_errno(k, "detaching %s: %m", a->device);
                a->loop_fd = -1;
        }
        if (a->cryptdev_dir[0]) {
                k = cryptdev_stop(a->cryptdev_dir, a->cryptdev_pid);
                if (k < 0 && r == 0)
                        r = k;
                a->cryptdev_dir[0] = 0;
                a->cryptdev_pid = 0;
        }
        a->control_fd = safe_close(a->control_fd);
        a->suspended = false;
        if (a->dm_name[0]) {
                /* Retried while held (the filesystem goes with its last
                 * passthrough fd), then deferred; logged there. */
                k = dm_crypt_deactivate(&dm_crypt_cryptsetup_ops, NULL, a->dm_name);
                if (k < 0 && r == 0)
                        r = k;
                a->dm_name[0] = 0;
        }
        a->device[0] = 0;
        return r;
}
