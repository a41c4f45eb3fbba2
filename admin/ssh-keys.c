/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "ssh-keys.h"

#define KEYS_FILE_MAX (64U * 1024U)

static int append_file(struct json_object *keys, const char *path) {
        _cleanup_fclose_ FILE *f = NULL;
        char line[KEYS_FILE_MAX];
        size_t total = 0;

        f = fopen(path, "re");
        if (!f)
                return log_error_errno(-errno, "cannot open %s: %m", path);
        while (fgets(line, sizeof(line), f)) {
                const char *l = line + strspn(line, " \t");

                total += strlen(line);
                if (total > KEYS_FILE_MAX)
                        return log_error_errno(-EFBIG, "%s is larger than %u bytes; is it really a list of SSH keys?",
                                               path, KEYS_FILE_MAX);
                line[strcspn(line, "\r\n")] = 0;
                if (l[0] && l[0] != '#')
                        json_object_array_add(keys, json_object_new_string(l));
        }
        if (ferror(f))
                return log_error_errno(-EIO, "reading %s failed", path);
        return 0;
}

int ssh_keys_append(struct json_object *keys, const char *value) {
        if (value[0] == '@')
                return append_file(keys, value + 1);
        return json_object_array_add(keys, json_object_new_string(value)) < 0 ? -ENOMEM : 0;
}
