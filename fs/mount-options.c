/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "mount-options.h"
#include "parse-util.h"

static const char *const ignored[] = {
        "defaults", "rw", "auto", "noauto", "nofail", "_netdev", "user", "nouser", "users",
        "nosuid", "nodev", "exec", "noexec", "atime", "noatime", "relatime", "async", "sync",
};

static bool is_ignored(const char *o) {
        if (strncmp(o, "x-", 2) == 0 || strncmp(o, "comment=", 8) == 0 || strncmp(o, "helper=", 7) == 0 ||
            strncmp(o, "uhelper=", 8) == 0)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(ignored); i++)
                if (streq(o, ignored[i]))
                        return true;
        return false;
}

static int parse_one(const char *o, struct mount_options *mo) {
        unsigned n;

        if (o[0] == 0 || is_ignored(o))
                return 0;
        if (streq(o, "debug")) {
                mo->debug = true;
                return 0;
        }
        if (strncmp(o, "threads=", 8) == 0) {
                if (safe_atou(o + 8, &n) < 0 || n < 1 || n > 1024)
                        return log_error_errno(EINVAL, "invalid option '%s': threads= takes 1 to 1024", o);
                mo->threads = n;
                return 0;
        }
        if (streq(o, "ro"))
                return log_error_errno(EINVAL, "homefs homes are mounted read-write; remove 'ro'");
        return log_error_errno(EINVAL, "unknown mount option '%s'; see mount.homefs(8)", o);
}

int mount_options_parse(const char *s, struct mount_options *mo) {
        char buf[1024], *save = NULL;

        if (strlen(s) >= sizeof(buf))
                return log_error_errno(E2BIG, "the mount options are too long");
        strcpy(buf, s);
        for (char *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save))
                if (parse_one(o, mo) < 0)
                        return -EINVAL;
        return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s) {
        char *w = s;

        for (char *r = s; *r; r++, w++) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
                        *w = (char) ((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
                        r += 3;
                } else
                        *w = *r;
        }
        *w = 0;
}

/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS" */
bool mountinfo_line_user(char *line, const char *dir, char *user, size_t size) {
        char *f[5], *save = NULL, *dash, *type, *source;

        for (int i = 0; i < 5; i++)
                if (!(f[i] = strtok_r(i == 0 ? line : NULL, " ", &save)))
                        return false;
        unescape(f[4]);
        if (!streq(f[4], dir) || !save || !(dash = strstr(save, " - ")))
                return false;
        save = NULL;
        type = strtok_r(dash + 3, " ", &save);
        source = strtok_r(NULL, " ", &save);
        if (!type || !source || !streq(type, "fuse.homefs") || strncmp(source, "homefs:", 7) != 0)
                return false;
        unescape(source);
        return (size_t) snprintf(user, size, "%s", source + 7) < size;
}

int mount_find_homefs_user(const char *dir, char *user, size_t size) {
        FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096];
        int r = -ENOENT;

        if (!f)
                return -errno;
        /* The last match is the top of the stack of mounts at dir. */
        while (fgets(line, sizeof(line), f))
                if (mountinfo_line_user(line, dir, user, size))
                        r = 0;
        fclose(f);
        return r;
}
