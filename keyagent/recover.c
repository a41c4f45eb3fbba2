/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Leftovers of a previous agent. When the agent dies (kill -9, crash) its
 * detached backing mount and loop fd close with it, every homefsd detaches
 * and keeps retrying to register, and each homefs-cryptdev keeps running
 * with its FUSE mount in <runtime>/homes/<user>/cryptdev. Nothing of it can
 * be reused without the key, so: flush, detach the loops, unmount, end the
 * cryptdevs, remove the directories. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/loop.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "parse-util.h"
#include "paths.h"
#include "recover.h"

#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif
#define CMDLINE_MAX 8192
#define EXIT_WAIT_TICKS 50 /* × 100 ms */

static void tick(void) {
        nanosleep(&(struct timespec) { .tv_nsec = 100 * 1000 * 1000 }, NULL);
}

static bool has_prefix(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int read_small(int dir_fd, const char *name, char *buf, size_t size) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return negative_errno();
        n = read(fd, buf, size - 1);
        if (n < 0)
                return negative_errno();
        buf[n] = 0;
        return (int) n;
}

/* Detach every loop device whose backing file lies below prefix. */
static void detach_loops(const char *prefix) {
        DIR *d = opendir("/sys/block");
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                char attr[PATH_MAX], backing[PATH_MAX], dev[PATH_MAX];
                _cleanup_close_ int fd = -1;

                if (!has_prefix(de->d_name, "loop"))
                        continue;
                snprintf(attr, sizeof(attr), "/sys/block/%s/loop/backing_file", de->d_name);
                if (read_small(AT_FDCWD, attr, backing, sizeof(backing)) <= 0 || !has_prefix(backing, prefix))
                        continue;
                snprintf(dev, sizeof(dev), "/dev/%s", de->d_name);
                fd = open(dev, O_RDONLY | O_CLOEXEC);
                /* Busy: the kernel clears it with its last user (autoclear). */
                if (fd >= 0 && ioctl(fd, LOOP_CLR_FD) >= 0)
                        log_info("recovery: detached the stale %s", dev);
        }
        closedir(d);
}

/* pid's command line is "<cryptdev binary> ... <mountpoint below prefix>"? */
static bool is_stale_cryptdev(int proc_fd, const char *pid, const char *cryptdev, const char *prefix) {
        char cmdline[CMDLINE_MAX], path[NAME_MAX + 16];
        const char *last;
        int n;

        snprintf(path, sizeof(path), "%s/cmdline", pid);
        n = read_small(proc_fd, path, cmdline, sizeof(cmdline));
        if (n <= 0 || !streq(cmdline, cryptdev))
                return false;
        /* The arguments are NUL-separated; the mountpoint comes last. */
        while (n > 0 && cmdline[n - 1] == 0)
                n--;
        last = memrchr(cmdline, 0, (size_t) n);
        return last && has_prefix(last + 1, prefix);
}

static bool pid_gone(pid_t pid) {
        return kill(pid, 0) < 0 && errno == ESRCH;
}

/* The cryptdevs are not our children: ask, wait, then insist. */
static void end_cryptdevs(const char *cryptdev, const char *prefix) {
        DIR *d = opendir("/proc");
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                pid_t pid;

                if (parse_pid(de->d_name, &pid) < 0 || pid <= 1 || !is_stale_cryptdev(dirfd(d), de->d_name, cryptdev, prefix))
                        continue;
                log_info("recovery: stopping the stale homefs-cryptdev (pid %d)", (int) pid);
                (void) kill(pid, SIGTERM);
                for (int i = 0; i < EXIT_WAIT_TICKS && !pid_gone(pid); i++)
                        tick();
                if (!pid_gone(pid))
                        (void) kill(pid, SIGKILL);
        }
        closedir(d);
}

int recover_detach_mount(const char *path) {
        if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
                return log_warning_errno(-errno, "recovery: cannot unmount %s: %m", path);
        return 0;
}

/* Unmount and remove <homes>/<user>/cryptdev for every user directory. */
static void remove_cryptdev_dirs(const char *homes) {
        DIR *d = opendir(homes);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                char dir[PATH_MAX];

                if (de->d_name[0] == '.')
                        continue;
                if ((size_t) snprintf(dir, sizeof(dir), "%s/%s/cryptdev", homes, de->d_name) >= sizeof(dir))
                        continue;
                (void) recover_detach_mount(dir);
                if (rmdir(dir) >= 0)
                        log_info("recovery: removed the stale %s", dir);
        }
        closedir(d);
}

void recover_at_start(const char *cryptdev) {
        char homes[PATH_MAX], prefix[PATH_MAX];

        if ((size_t) snprintf(prefix, sizeof(prefix), "%s/homes/", homefs_runtime_dir()) >= sizeof(prefix))
                return;
        memcpy(homes, prefix, strlen(prefix) - 1);
        homes[strlen(prefix) - 1] = 0;
        /* A backing filesystem still held by some process writes back
         * through the stale cryptdev: let it finish before that goes. */
        sync();
        detach_loops(prefix);
        /* Unmounting first lets a cryptdev exit 0 by itself. */
        remove_cryptdev_dirs(homes);
        end_cryptdevs(cryptdev, prefix);
        remove_cryptdev_dirs(homes);
}

bool recover_mount_is_dead(const char *path) {
        struct statfs sfs;

        /* Not stat(): attributes may come from the kernel's cache without a
         * word to the daemon; statfs always asks it. */
        return statfs(path, &sfs) < 0 && errno == ENOTCONN;
}

int recover_front_mount(const char *home_directory) {
        struct statx stx;
        struct statfs sfs;

        if (recover_mount_is_dead(home_directory)) {
                /* The homefsd serving it died: nothing can use it any more. */
                log_info("recovery: detaching the dead mount on %s", home_directory);
                return recover_detach_mount(home_directory);
        }
        if (statx(AT_FDCWD, home_directory, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) || !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
                return 0;
        /* A locked front may refuse statfs; it is a front all the same. */
        if (statfs(home_directory, &sfs) >= 0 && sfs.f_type != FUSE_SUPER_MAGIC)
                return 0;
        return 1;
}
