/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "pam-homefs.h"

static bool uid_in_range(const char *user) {
        char buf[4096];
        struct passwd pw, *p = NULL;

        if (getpwnam_r(user, &pw, buf, sizeof(buf), &p) != 0 || !p)
                return false;
        return p->pw_uid >= HOMEFS_UID_MIN && p->pw_uid <= HOMEFS_UID_MAX;
}

/* Decided without the agent, which may be stopped, killed or hung: a user
 * homefs does not manage must never wait for it or depend on it. The agent
 * keeps one record per home, <state_dir>/records/<user>.yaml (root-only); a
 * caller that may not read that directory (an unprivileged screen locker)
 * goes by homefs's uid range instead. */
bool pam_homefs_is_ours(struct pam_homefs *m) {
        char path[PATH_MAX], name[NAME_MAX + 1];
        struct stat st;
        int dfd, r;

        if ((size_t) snprintf(path, sizeof(path), "%s/records", m->state_dir) >= sizeof(path) ||
            user_record_file_name(m->user, name, sizeof(name)) < 0)
                return false;
        dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return errno == EACCES ? uid_in_range(m->user) : false; /* ENOENT: no homes here */
        r = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
        close(dfd);
        if (r == -EACCES)
                return uid_in_range(m->user);
        return r == 0 && S_ISREG(st.st_mode);
}
