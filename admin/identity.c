/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* create/update --identity=FILE|-: a user record exported with inspect
 * --export or inspect --json (its "status" is dropped), to move a home
 * between hosts or to apply an edited record. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "homefsctl.h"
#include "log.h"

#define IDENTITY_MAX (64 * 1024)

static int read_all(const char *path, char *buf, size_t size, size_t *ret) {
        int fd = streq(path, "-") ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
        size_t n = 0;
        ssize_t k = 0;

        if (fd < 0)
                return -errno;
        while (n < size && (k = read(fd, buf + n, size - n)) > 0)
                n += (size_t) k;
        if (fd != STDIN_FILENO)
                close(fd);
        if (k < 0)
                return -errno;
        if (n == size)
                return -EFBIG;
        *ret = n;
        return 0;
}

int identity_load(const char *path, const char *user, struct json_object **ret) {
        _cleanup_free_ char *buf = malloc(IDENTITY_MAX);
        struct json_object *o, *record, *name;
        enum json_tokener_error jerr;
        size_t n = 0;
        int r;

        if (!buf)
                return -ENOMEM;
        r = read_all(path, buf, IDENTITY_MAX, &n);
        if (r < 0) {
                log_error_errno(r, "cannot read the identity %s: %m", streq(path, "-") ? "from standard input" : path);
                return r;
        }
        buf[n] = 0;
        o = json_tokener_parse_verbose(buf, &jerr);
        if (!o || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                log_error("the identity is not a JSON object (%s); make it with 'homefsctl inspect --export USER'",
                          o ? "another JSON value" : json_tokener_error_desc(jerr));
                return -EINVAL;
        }
        /* An Inspect reply of old carries the record inside. */
        if (json_object_object_get_ex(o, "record", &record) && json_object_is_type(record, json_type_object)) {
                json_object_get(record);
                json_object_put(o);
                o = record;
        }
        if (json_object_object_get_ex(o, "userName", &name) && !streq(json_object_get_string(name), user)) {
                /* The file's name for the user is anybody's text: the log
                 * escapes it. */
                log_error("the identity is for %s, not %s", json_object_get_string(name) ?: "", user);
                json_object_put(o);
                return -EINVAL;
        }
        json_object_object_del(o, "lastChangeUSec"); /* the agent sets it */
        json_object_object_del(o, "status");         /* inspect --json's runtime state */
        *ret = o;
        return 0;
}
