/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "host-room.h"
#include "log.h"
#include "macro.h"
#include "record.h"
#include "registry.h"
#include "size.h"

/* The directory holding the image (the image itself may not exist yet). */
static int image_dir(const char *image_path, char buf[static PATH_MAX]) {
        char *d;

        if (strlen(image_path) >= PATH_MAX)
                return -ENAMETOOLONG;
        strcpy(buf, image_path);
        d = dirname(buf); /* buf itself, or a static "." or "/" */
        memmove(buf, d, strlen(d) + 1);
        return 0;
}

/* Another home's promise: its image's size minus what it takes, if it lies
 * on dev. Read from its record file, not the live record: the caller holds
 * at most its own home's lock, and the others may be in a transition. */
static uint64_t promise_of(const char *user, dev_t dev) {
        struct user_record *r = NULL;
        uint64_t promise = 0;
        struct stat st;

        if (user_record_load(registry_records_fd(), user, &r, NULL) < 0)
                return 0;
        if (r->image_path && stat(r->image_path, &st) == 0 && st.st_dev == dev &&
            (uint64_t) st.st_size > (uint64_t) st.st_blocks * 512)
                promise = (uint64_t) st.st_size - (uint64_t) st.st_blocks * 512;
        user_record_free(r);
        return promise;
}

int host_room_get(const char *image_path, const char *skip_user, struct host_room *ret) {
        char dir[PATH_MAX];
        struct statvfs sv;
        struct home **homes;
        struct stat st;
        size_t n;
        int r;

        r = image_dir(image_path, dir);
        if (r < 0)
                return r;
        if (statvfs(dir, &sv) < 0 || stat(dir, &st) < 0)
                return -errno;
        *ret = (struct host_room) { .free = (uint64_t) sv.f_bavail * sv.f_frsize };
        r = registry_list(&homes, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (!skip_user || !streq(homes[i]->user_name, skip_user))
                        ret->promised += promise_of(homes[i]->user_name, st.st_dev);
        registry_list_free(homes, n);
        return 0;
}

int host_room_check(const char *image_path, const char *user, uint64_t size, uint64_t allocated,
                    bool allow_overcommit, bool *ret_overcommitted, struct agent_error *e) {
        char want[FORMAT_SIZE_MAX], free_s[FORMAT_SIZE_MAX], promised[FORMAT_SIZE_MAX];
        struct host_room room;
        uint64_t need = size > allocated ? size - allocated : 0;
        int r;

        *ret_overcommitted = false;
        r = host_room_get(image_path, user, &room);
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Cannot see the free space below %s: %s.",
                                       image_path, strerror(-r));
        if (room.promised <= room.free && need <= room.free - room.promised)
                return 0;
        format_size(want, sizeof(want), need);
        format_size(free_s, sizeof(free_s), room.free);
        format_size(promised, sizeof(promised), room.promised);
        if (!allow_overcommit)
                return agent_error_set(e, -ENOSPC, AGENT_ERROR_OVERCOMMIT,
                                       "The image of %s may need %s more on the host, which has %s free of which %s are "
                                       "promised to other homes; choose a smaller size, or pass --allow-overcommit to accept "
                                       "that a full host locks homes.", user, want, free_s, promised);
        log_warning("overcommitting the host for %s: it may need %s more, %s free, %s promised to other homes",
                    user, want, free_s, promised);
        *ret_overcommitted = true;
        return 0;
}
