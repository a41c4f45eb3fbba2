/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <sys/random.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "accounts.h"
#include "agent.h"
#include "log.h"
#include "macro.h"
#include "spawn.h"

#define ACCOUNTS_LOCK "/run/homefs-accounts.lock"

/* getpw*() and getgr*() keep static state: the agent serializes their use. */
static pthread_mutex_t accounts_mutex = PTHREAD_MUTEX_INITIALIZER;

int accounts_allocate_uid(uint32_t *ret) {
        const uint32_t n = HOMEFS_UID_MAX - HOMEFS_UID_MIN + 1;
        uint32_t start;
        int r = -EBUSY;

        /* From a random place in the range, as systemd-homed does: a uid is
         * only taken by useradd after the image is made, and other agents
         * (other hosts sharing passwd, parallel test runs) must not all race
         * for the same first free one. */
        if (getrandom(&start, sizeof(start), GRND_NONBLOCK) != sizeof(start))
                start = (uint32_t) getpid();
        pthread_mutex_lock(&accounts_mutex);
        for (uint32_t i = 0; i < n; i++) {
                uint32_t u = HOMEFS_UID_MIN + (start + i) % n;

                if (!getpwuid(u) && !getgrgid(u)) {
                        *ret = u;
                        r = 0;
                        break;
                }
        }
        pthread_mutex_unlock(&accounts_mutex);
        return r;
}

int accounts_check_free(const char *user_name, uint32_t uid, uint32_t gid) {
        int r = 0;

        pthread_mutex_lock(&accounts_mutex);
        if (getpwnam(user_name) || getgrnam(user_name) || getpwuid(uid) || getgrgid(gid))
                r = -EEXIST;
        pthread_mutex_unlock(&accounts_mutex);
        return r;
}

/* Runs a shadow tool. Returns 0, its exit status (> 0) when it failed, or a
 * negative errno when it could not run. */
static int run_tool_status(const char *tool, char **argv) {
        char path[64];
        int r;

        r = find_program(tool, path, sizeof(path));
        if (r < 0)
                return log_error_errno(r, "%s not found; install the 'passwd' package", tool);
        argv[0] = path;
        return spawn_run(argv);
}

static int run_tool(const char *tool, char **argv) {
        int r = run_tool_status(tool, argv);

        if (r < 0)
                return log_error_errno(r, "%s %s could not run: %m", tool, argv[1]);
        if (r > 0)
                return log_error_errno(-EIO, "%s %s failed (exit status %d)", tool, argv[1], r);
        return 0;
}

/* groupadd and useradd exit with 4 when the gid or uid is taken. */
#define SHADOW_EXIT_ID_TAKEN 4
#define ACCOUNTS_ADD_TRIES 8

static int add_once(const struct user_record *r) {
        char uid[16], gid[16];
        int k;

        snprintf(uid, sizeof(uid), "%u", r->uid);
        snprintf(gid, sizeof(gid), "%u", r->gid);

        /* -K: homefs's uid range lies above Debian's default UID_MAX/GID_MAX;
         * say so, or the tools warn on every create. */
        k = run_tool_status("groupadd", (char *[]) { NULL, "-K", "GID_MAX=60513", "-g", gid, r->user_name, NULL });
        if (k != 0)
                return k;
        /* -M: the home is made by homefs inside the image, not by useradd.
         * No -p: the shadow entry stays locked ("!"). */
        k = run_tool_status("useradd", (char *[]) { NULL, "-K", "UID_MAX=60513", "-M", "-N", "-u", uid, "-g", gid,
                                                    "-d", r->home_directory, "-s", (char *) accounts_passwd_shell(r),
                                                    "-c", r->real_name ? r->real_name : "", r->user_name, NULL });
        if (k != 0)
                (void) run_tool("groupdel", (char *[]) { NULL, r->user_name, NULL });
        return k;
}

int accounts_add(struct user_record *r, bool may_pick_another_uid) {
        int k = 0;

        for (unsigned i = 0; i < ACCOUNTS_ADD_TRIES; i++) {
                uint32_t uid;

                k = add_once(r);
                if (k == 0)
                        return 0;
                /* Someone else took the id between our check and now: take
                 * the next free one, if the uid was ours to choose. */
                if (k != SHADOW_EXIT_ID_TAKEN || !may_pick_another_uid || accounts_allocate_uid(&uid) < 0)
                        break;
                log_info("uid/gid %u was taken meanwhile; trying %u", r->uid, uid);
                r->uid = r->gid = uid;
        }
        if (k < 0)
                return log_error_errno(k, "adding the user %s failed: %m", r->user_name);
        return log_error_errno(-EIO, "adding the user %s failed (exit status %d)", r->user_name, k);
}

const char *accounts_passwd_shell(const struct user_record *r) {
        if (agent_config.login_shell[0])
                return agent_config.login_shell;
        return r->shell ? r->shell : "/bin/sh";
}

/* What differs between the passwd entry and the record, copied under the
 * mutex (getpwnam's buffer is static). */
struct passwd_diff {
        bool gecos, dir, shell;
        uint32_t uid, gid;
};

static int passwd_compare(const struct user_record *r, struct passwd_diff *d) {
        const char *want_gecos = r->real_name ? r->real_name : "";
        struct passwd *pw;

        *d = (struct passwd_diff) {};
        pthread_mutex_lock(&accounts_mutex);
        pw = getpwnam(r->user_name);
        if (pw) {
                d->gecos = !streq(pw->pw_gecos ? pw->pw_gecos : "", want_gecos);
                d->dir = !streq(pw->pw_dir ? pw->pw_dir : "", r->home_directory);
                d->shell = !streq(pw->pw_shell ? pw->pw_shell : "", accounts_passwd_shell(r));
                d->uid = pw->pw_uid;
                d->gid = pw->pw_gid;
        }
        pthread_mutex_unlock(&accounts_mutex);
        return pw ? 0 : -ENOENT;
}

#define USERMOD_TRIES 10
#define USERMOD_EXIT_LOCKED 1

int accounts_sync(const struct user_record *r, const char *why) {
        struct passwd_diff d;
        int k;

        k = passwd_compare(r, &d);
        if (k < 0)
                return k;
        if (d.uid != r->uid || d.gid != r->gid)
                log_error("the passwd entry of %s has uid %u gid %u, the record %u %u; not changed "
                          "automatically: fix it with usermod/groupmod or the record", r->user_name,
                          d.uid, d.gid, r->uid, r->gid);
        if (!d.gecos && !d.dir && !d.shell)
                return 0;
        if (why) {
                char what[64] = "";

                if (d.gecos)
                        strcat(what, ", real name");
                if (d.dir)
                        strcat(what, ", home directory");
                if (d.shell)
                        strcat(what, ", shell");
                log_warning("the passwd entry of %s differed from the record (%s); %s", r->user_name, what + 2, why);
        }
        /* One usermod call: it rewrites passwd under its lock, all or
         * nothing. Exit status 1 is "cannot lock or update the file": another
         * tool holds the lock for a moment; try again a few times. */
        for (unsigned i = 0; i < USERMOD_TRIES; i++) {
                k = run_tool_status("usermod", (char *[]) { NULL, "-c", r->real_name ? r->real_name : "", "-d",
                                                            r->home_directory, "-s", (char *) accounts_passwd_shell(r),
                                                            r->user_name, NULL });
                if (k != USERMOD_EXIT_LOCKED)
                        break;
                usleep(200 * 1000);
        }
        if (k < 0)
                return log_error_errno(k, "usermod %s could not run: %m", r->user_name);
        if (k > 0)
                return log_error_errno(-EIO, "usermod %s failed (exit status %d)", r->user_name, k);
        return 1;
}

int accounts_remove(const char *user_name) {
        bool has_user, has_group;
        int r = 0;

        pthread_mutex_lock(&accounts_mutex);
        has_user = getpwnam(user_name) != NULL;
        has_group = getgrnam(user_name) != NULL;
        pthread_mutex_unlock(&accounts_mutex);

        if (has_user)
                r = run_tool("userdel", (char *[]) { NULL, (char *) user_name, NULL });
        /* userdel removes the user's own group itself where USERGROUPS_ENAB is set. */
        pthread_mutex_lock(&accounts_mutex);
        has_group = getgrnam(user_name) != NULL;
        pthread_mutex_unlock(&accounts_mutex);
        if (has_group) {
                int k = run_tool("groupdel", (char *[]) { NULL, (char *) user_name, NULL });
                if (r == 0)
                        r = k;
        }
        return r;
}

int accounts_lock(void) {
        int fd = open(ACCOUNTS_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

        if (fd < 0) {
                log_debug_errno(-errno, "cannot open %s: %m; not locking against other agents", ACCOUNTS_LOCK);
                return -1;
        }
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR) {
                        close(fd);
                        return -1;
                }
        return fd;
}

void accounts_unlock(int fd) {
        if (fd >= 0)
                close(fd); /* drops the flock */
}
