/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "ssh-keys.h"

/* Open <user>/.ssh/authorized_keys below the backing mount. The path below
 * the home is the user's to shape: no symlinks, no escaping the mount. */
static int open_authorized_keys(struct home *h) {
        struct open_how how = {
                .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        char path[PATH_MAX];
        int fd;

        if ((size_t) snprintf(path, sizeof(path), "%s/.ssh/authorized_keys", h->user_name) >= sizeof(path))
                return -ENAMETOOLONG;
        fd = (int) syscall(SYS_openat2, h->mount_fd, path, &how, sizeof(how));
        return fd < 0 ? -errno : fd;
}

/* What sshd's StrictModes asks of the file: a regular file of the user (or
 * root) that nobody else can write. */
static bool file_is_trustworthy(int fd, uid_t uid) {
        struct stat st;

        return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_uid == uid || st.st_uid == 0) &&
               !(st.st_mode & (S_IWGRP | S_IWOTH));
}

static size_t keys_size(struct json_object *keys) {
        size_t n = 0;

        for (size_t i = 0; i < json_object_array_length(keys); i++)
                n += (size_t) json_object_get_string_len(json_object_array_get_idx(keys, i)) + 1;
        return n;
}

/* Add each non-empty, non-comment line of buf (control characters dropped). */
static void add_lines(struct json_object *keys, char *buf) {
        size_t total = keys_size(keys);

        char *save = NULL;

        for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *w = line;

                for (char *p = line; *p; p++)
                        if ((unsigned char) *p >= 0x20 && *p != 0x7f)
                                *w++ = *p;
                *w = 0;
                line += strspn(line, " \t");
                if (!line[0] || line[0] == '#')
                        continue;
                total += strlen(line) + 1;
                if (total > SSH_KEYS_TOTAL_MAX)
                        break;
                json_object_array_add(keys, json_object_new_string(line));
        }
}

static void add_file_keys(struct home *h, struct json_object *keys) {
        _cleanup_close_ int fd = -1;
        char buf[SSH_KEYS_FILE_MAX + 1];
        size_t n = 0;
        ssize_t k;

        if (h->mount_fd < 0)
                return;
        fd = open_authorized_keys(h);
        if (fd < 0) {
                if (fd != -ENOENT)
                        log_debug_errno(fd, "not reading authorized_keys of %s: %m", h->user_name);
                return;
        }
        if (!file_is_trustworthy(fd, h->record->uid)) {
                log_warning("ignoring ~/.ssh/authorized_keys of %s: not a regular file of the user, or writable by others",
                            h->user_name);
                return;
        }
        while (n < SSH_KEYS_FILE_MAX && (k = read(fd, buf + n, SSH_KEYS_FILE_MAX - n)) > 0)
                n += (size_t) k;
        buf[n] = 0;
        add_lines(keys, buf);
}

int ssh_keys_get(struct home *h, struct json_object **ret) {
        struct json_object *keys = json_object_new_array();

        if (!keys)
                return -ENOMEM;
        for (char **k = h->record->ssh_authorized_keys; k && *k; k++)
                json_object_array_add(keys, json_object_new_string(*k));
        if (home_is_active(h)) /* a locked home's filesystem would wait for its key */
                add_file_keys(h, keys);
        *ret = keys;
        return 0;
}
