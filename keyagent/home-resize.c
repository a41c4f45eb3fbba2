/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* homefsctl resize: the image file, the block device above it and the ext4
 * inside. The LUKS2 data segment is "dynamic" (it ends where the image ends),
 * so the header never changes. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "agent-config.h"
#include "backing.h"
#include "home-ops.h"
#include "host-room.h"
#include "log.h"
#include "registry.h"
#include "secret.h"
#include "size.h"
#include "time-util.h"

#define SIZE_ALIGN (1024U * 1024U)
#define DATA_MIN (32ULL * 1024 * 1024) /* smaller than this holds no useful ext4 */

static int image_truncate(const char *path, uint64_t size) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

        if (fd < 0)
                return -errno;
        if (ftruncate(fd, (off_t) size) < 0 || fsync(fd) < 0)
                return -errno;
        return 0;
}

/* "max": what the image holds now plus the host's free space that is not
 * promised to other homes; never less than the image's size. */
static int max_size(const char *user, const char *path, uint64_t *ret) {
        struct host_room room;
        struct stat st;
        uint64_t max;
        int r;

        if (stat(path, &st) < 0)
                return -errno;
        r = host_room_get(path, user, &room);
        if (r < 0)
                return r;
        max = (uint64_t) st.st_blocks * 512 + (room.free > room.promised ? room.free - room.promised : 0);
        max = max / SIZE_ALIGN * SIZE_ALIGN;
        *ret = max > (uint64_t) st.st_size ? max : (uint64_t) st.st_size;
        return 0;
}

/* *online: the filesystem grew now (else it grows at the next unlock). */
static int resize_grow(struct home *h, uint64_t size, bool *online, struct agent_error *e) {
        int r;

        r = image_truncate(h->record->image_path, size);
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Growing the image %s failed: %s.",
                                       h->record->image_path, strerror(-r));
        if (!h->activated)
                return 0; /* the filesystem grows at the next unlock */
        r = activation_grow(&h->activation, size);
        if (r >= 0)
                r = backing_grow(h->mount_fd, h->activation.device);
        if (r == -EPERM) {
                /* No CAP_SYS_RESOURCE (containers): the device has grown, the
                 * filesystem follows offline at the next unlock. */
                log_warning("online growth of %s refused by the kernel; it completes at the next unlock", h->user_name);
                return 0;
        }
        *online = r >= 0;
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED,
                                       "The image of %s grew, but the filesystem did not: %s; it will grow at the next unlock.",
                                       h->user_name, strerror(-r));
        return 0;
}

/* Activate without mounting, shrink the filesystem, tear down, then cut the
 * image. size 0: as small as possible; the size reached in *size. */
static int resize_shrink(struct home *h, uint64_t *size, const char *password, struct agent_error *e) {
        _cleanup_secret_ void *key = NULL;
        struct luks_geometry geo;
        char runtime[PATH_MAX], want[32], need[32];
        uint64_t min = 0, fs_size;
        size_t key_size = 0;
        int r;

        if (h->activated)
                return agent_error_set(e, -EBUSY, AGENT_ERROR_HOME_BUSY,
                                       "The home of %s is active; deactivate it before shrinking it.", h->user_name);
        if (!password)
                return agent_error_set(e, -EINVAL, AGENT_ERROR_INVALID_PARAMETER,
                                       "Shrinking the home of %s needs its password.", h->user_name);
        r = home_verify(h, password, &key, &key_size, &geo, e);
        if (r < 0)
                return r;
        if (*size != 0 && *size < geo.data_offset + DATA_MIN)
                return agent_error_set(e, -EINVAL, AGENT_ERROR_INVALID_PARAMETER, "The size is too small for a home.");
        r = home_runtime_dir(h, runtime, sizeof(runtime));
        if (r >= 0)
                r = activation_start(&h->activation, h->config->activation, h->config->cryptdev,
                                     h->record->image_path, h->user_name, runtime, key, key_size, &geo, false);
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Activating the image of %s failed: %s.",
                                       h->user_name, strerror(-r));
        fs_size = *size == 0 ? 0 : *size - geo.data_offset;
        r = backing_shrink(h->activation.device, fs_size, &min);
        (void) activation_stop(&h->activation);
        if (r == -ENOSPC)
                return agent_error_set(e, r, AGENT_ERROR_INVALID_PARAMETER,
                                       "Cannot shrink the home of %s to %s: its data needs at least %s.", h->user_name,
                                       format_size(want, sizeof(want), *size), format_size(need, sizeof(need), geo.data_offset + min));
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Shrinking the filesystem of %s failed: %s.",
                                       h->user_name, strerror(-r));
        if (*size == 0) /* the next unlock grows the filesystem into the rounding */
                *size = (geo.data_offset + min + SIZE_ALIGN - 1) / SIZE_ALIGN * SIZE_ALIGN;
        r = image_truncate(h->record->image_path, *size);
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "The filesystem of %s was shrunk, but cutting the image failed: %s.",
                                       h->user_name, strerror(-r));
        return 0;
}

int home_resize(struct home *h, uint64_t new_size, const char *password, bool allow_overcommit, uint64_t *ret_size,
                bool *ret_pending, bool *ret_overcommitted, struct agent_error *e) {
        bool online = false;
        struct stat st;
        int r;

        if (h->activated && !home_is_active(h))
                return agent_error_set(e, -EBUSY, AGENT_ERROR_HOME_BUSY,
                                       "The home of %s is locked; unlock it before resizing it.", h->user_name);
        if (stat(h->record->image_path, &st) < 0)
                return agent_error_set(e, -errno, AGENT_ERROR_IMAGE_MISSING, "The image of %s (%s) is missing.",
                                       h->user_name, h->record->image_path);
        *ret_overcommitted = false;
        if (new_size == 0 && (r = max_size(h->user_name, h->record->image_path, &new_size)) < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Cannot find the free space for %s.", h->record->image_path);
        if (new_size != UINT64_MAX)
                new_size = new_size / 4096 * 4096;

        if (new_size == (uint64_t) st.st_size)
                r = 0, online = true;
        else if (new_size != UINT64_MAX && new_size > (uint64_t) st.st_size) {
                r = host_room_check(h->record->image_path, h->user_name, new_size, (uint64_t) st.st_blocks * 512,
                                    allow_overcommit, ret_overcommitted, e);
                if (r >= 0)
                        r = resize_grow(h, new_size, &online, e);
        }
        else {
                if (new_size == UINT64_MAX)
                        new_size = 0;
                r = resize_shrink(h, &new_size, password, e);
                online = true;
        }
        if (r < 0)
                return r;
        h->record->disk_size = new_size;
        h->record->last_change_usec = now_usec();
        r = user_record_save(registry_records_fd(), h->record);
        if (r < 0)
                log_warning_errno(r, "%s resized, but saving its record failed: %m", h->user_name);
        log_info("resized the image of %s to %llu bytes", h->user_name, (unsigned long long) new_size);
        *ret_size = new_size;
        /* Grown, but the filesystem waits for the next unlock. */
        *ret_pending = new_size > (uint64_t) st.st_size && !online;
        return 0;
}
