/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "file-util.h"
#include "freeze.h"
#include "log.h"
#include "macro.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

#define AGENT_CGROUP "homefs"

/* Where cgroup v2 is mounted: /sys/fs/cgroup (unified), or its "unified"
 * subdirectory (hybrid hierarchy: v1 controllers, v2 for process tracking). */
static const char *cgroup2_root(void) {
        static const char *const roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };

        for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
                char p[64];

                /* Only a cgroup2 root has cgroup.controllers (the root has
                 * no cgroup.freeze; its children do). */
                snprintf(p, sizeof(p), "%s/cgroup.controllers", roots[i]);
                if (access(p, F_OK) >= 0)
                        return roots[i];
        }
        return NULL;
}

static bool is_dir(const char *path) {
        struct stat st;

        return lstat(path, &st) >= 0 && S_ISDIR(st.st_mode);
}

static int systemd_slice(const char *root, uid_t uid, char *buf, size_t size) {
        if ((size_t) snprintf(buf, size, "%s/user.slice/user-%u.slice", root, (unsigned) uid) >= size)
                return -ENAMETOOLONG;
        return is_dir(buf) ? 0 : -ENOENT;
}

static int agent_cgroup(const char *root, const char *user, char *buf, size_t size) {
        if ((size_t) snprintf(buf, size, "%s/" AGENT_CGROUP "/%s", root, user) >= size)
                return -ENAMETOOLONG;
        return 0;
}

int freeze_cgroup(uid_t uid, const char *user, char *buf, size_t size) {
        const char *root = cgroup2_root();
        int r;

        if (!root)
                return -ENOENT;
        r = systemd_slice(root, uid, buf, size);
        if (r != -ENOENT)
                return r;
        r = agent_cgroup(root, user, buf, size);
        if (r < 0)
                return r;
        return is_dir(buf) ? 0 : -ENOENT;
}

static int write_string(const char *dir, const char *file, const char *s) {
        char path[PATH_MAX];
        _cleanup_close_ int fd = -1;

        if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return negative_errno();
        return write_all(fd, s, strlen(s));
}

/* The cgroup v2 path of pid ("0::PATH" in /proc/PID/cgroup), into buf. */
static int process_cgroup(pid_t pid, char *buf, size_t size) {
        char path[64], line[PATH_MAX];
        _cleanup_fclose_ FILE *f = NULL;

        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return negative_errno();
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "0::", 3) == 0) {
                        line[strcspn(line, "\n")] = 0;
                        if ((size_t) snprintf(buf, size, "%s", line + 3) >= size)
                                return -ENAMETOOLONG;
                        return 0;
                }
        return -ENOENT;
}

/* A caller other than root (the SSH stub) may have its process moved only
 * out of the root cgroup, or within the agent's own: a user must not be able
 * to take a process out of a cgroup an administrator put it in (whose limits
 * would then no longer apply). Root callers are login processes (PAM). */
static bool may_move(const struct ucred *cred, const char *user) {
        char cur[PATH_MAX], own[PATH_MAX];

        if (cred->uid == 0)
                return true;
        if (process_cgroup(cred->pid, cur, sizeof(cur)) < 0)
                return false;
        snprintf(own, sizeof(own), "/" AGENT_CGROUP "/%s", user);
        return streq(cur, "/") || streq(cur, own);
}

int freeze_adopt(int socket_fd, uid_t uid, const char *user) {
        const char *root = cgroup2_root();
        char dir[PATH_MAX], parent[PATH_MAX], pid_s[32];
        _cleanup_close_ int pidfd = -1;
        struct ucred cred;
        socklen_t len = sizeof(cred);
        int r;

        if (!root)
                return log_full_errno(LOG_LEVEL_INFO, ENOENT, "no cgroup v2 mount: the sessions of %s cannot be frozen at lock", user);
        if (systemd_slice(root, uid, dir, sizeof(dir)) == 0)
                return 0; /* systemd's slice holds them already */
        len = sizeof(pidfd);
        if (getsockopt(socket_fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) < 0)
                return log_warning_errno(errno, "no pidfd for the session of %s, it will not be frozen at lock: %m", user);
        len = sizeof(cred);
        if (getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return log_warning_errno(errno, "SO_PEERCRED: %m");
        if (!may_move(&cred, user))
                return log_full_errno(LOG_LEVEL_INFO, EPERM, "the session process of %s is in a cgroup of its own and "
                                      "stays there: it will not be frozen at lock", user);
        snprintf(parent, sizeof(parent), "%s/" AGENT_CGROUP, root);
        r = agent_cgroup(root, user, dir, sizeof(dir));
        if (r < 0)
                return r;
        if ((mkdir(parent, 0755) < 0 && errno != EEXIST) || (mkdir(dir, 0755) < 0 && errno != EEXIST))
                return log_warning_errno(errno, "cannot create the cgroup %s, the session of %s will not be frozen at lock: %m",
                                         dir, user);
        snprintf(pid_s, sizeof(pid_s), "%d", (int) cred.pid);
        r = write_string(dir, "cgroup.procs", pid_s);
        if (r < 0)
                return log_warning_errno(r, "cannot move the session of %s into %s: %m", user, dir);
        /* The pid was the peer's when written if the peer is still alive now:
         * a pid is reused only after its process is gone. */
        if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) {
                (void) write_string(root, "cgroup.procs", pid_s);
                return log_warning_errno(ESRCH, "the session process of %s exited while being moved", user);
        }
        log_debug("session process %s of %s moved into %s", pid_s, user, dir);
        return 0;
}

static bool cgroup_frozen(const char *cgroup) {
        char path[PATH_MAX], buf[512];
        _cleanup_close_ int fd = -1;
        ssize_t n;

        snprintf(path, sizeof(path), "%s/cgroup.events", cgroup);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return false;
        buf[n] = 0;
        return strstr(buf, "frozen 1") != NULL;
}

int freeze_set(const char *cgroup, bool frozen, int timeout_ms) {
        int r;

        r = write_string(cgroup, "cgroup.freeze", frozen ? "1" : "0");
        if (r < 0)
                return log_warning_errno(r, "cannot %s %s: %m", frozen ? "freeze" : "thaw", cgroup);
        if (!frozen)
                return 0;
        for (int waited = 0; waited < timeout_ms; waited += 10) {
                struct timespec tick = { 0, 10 * 1000 * 1000 };

                if (cgroup_frozen(cgroup))
                        return 0;
                nanosleep(&tick, NULL);
        }
        return cgroup_frozen(cgroup) ? 0 : -ETIME;
}

void freeze_forget(const char *user) {
        const char *root = cgroup2_root();
        char dir[PATH_MAX];

        if (root && agent_cgroup(root, user, dir, sizeof(dir)) >= 0 && rmdir(dir) < 0 && errno != ENOENT)
                log_debug_errno(errno, "keeping %s: %m", dir); /* still populated (EBUSY) */
}
