/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mounting the front on a directory fd. homefsd runs as root and the
 * mountpoint's path comes from the user database: it is walked once by
 * lib/safe-path.c (no symlink, every directory above it root's and
 * unwritable by others), and the FUSE mount is made on the fd that walk
 * returned (fsopen, fsmount, move_mount onto the fd), so nothing that
 * changes the path afterwards can put the mount anywhere else. libfuse then
 * serves the already mounted /dev/fuse fd ("/dev/fd/N"). The same options
 * as libfuse's own mount: fsname homefs:USER, type fuse.homefs,
 * allow_other, default_permissions, nosuid, nodev. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "front.h"
#include "log.h"
#include "macro.h"
#include "safe-path.h"

/* Refused paths name the directory at fault. */
static int walk_error(int r, const char *mountpoint, const char *bad) {
        if (r == -ELOOP)
                return log_error_errno(-r, "refusing to mount on %s: %s is a symbolic link; homefs follows no links "
                                       "on the way to a home", mountpoint, bad);
        if (r == -EPERM)
                return log_error_errno(-r, "refusing to mount on %s: the directory %s must belong to root and be "
                                       "writable by nobody else (else a user could swap in a symlink); fix it with "
                                       "chown root and chmod go-w", mountpoint, bad);
        return log_error_errno(-r, "refusing to mount on %s: %s: %m", mountpoint, bad);
}

int mountpoint_open(const char *mountpoint) {
        _cleanup_close_ int dir_fd = -1, fd = -1;
        char bad[PATH_MAX] = "";
        const char *name;
        struct statx stx;

        dir_fd = safe_path_open_parent(mountpoint, &name, bad, sizeof(bad));
        if (dir_fd < 0)
                return walk_error(dir_fd, mountpoint, bad);
        /* The bare mountpoint is root's and mode 0000: useless without homefsd. */
        if (mkdirat(dir_fd, name, 0000) == 0) {
                if (fchownat(dir_fd, name, 0, 0, AT_SYMLINK_NOFOLLOW) < 0)
                        return log_error_errno(errno, "cannot set up the mountpoint %s: %m", mountpoint);
        } else if (errno != EEXIST)
                return log_error_errno(errno, "cannot create the mountpoint %s: %m", mountpoint);
        fd = safe_path_openat(dir_fd, name, O_PATH | O_DIRECTORY);
        if (fd < 0)
                return walk_error(fd, mountpoint, mountpoint);
        if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MODE | STATX_UID, &stx) < 0)
                return log_error_errno(errno, "cannot examine the mountpoint %s: %m", mountpoint);
        if (stx.stx_uid != 0 || (stx.stx_mode & 022))
                return walk_error(-EPERM, mountpoint, mountpoint);
        return TAKE_FD(fd);
}

static int set_string(int fs_fd, const char *key, const char *value) {
        return fsconfig(fs_fd, FSCONFIG_SET_STRING, key, value, 0) < 0 ? -errno : 0;
}

int fuse_mount_at(int target_fd, const char *user, uint64_t *ret_mnt_id) {
        _cleanup_close_ int fuse_fd = -1, fs_fd = -1, mnt_fd = -1;
        char num[32], source[128];
        struct statx stx;
        int r;

        fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
        if (fuse_fd < 0)
                return log_error_errno(errno, "cannot open /dev/fuse: %m");
        fs_fd = fsopen("fuse", FSOPEN_CLOEXEC);
        if (fs_fd < 0)
                return log_error_errno(errno, "fsopen(fuse): %m");
        snprintf(num, sizeof(num), "%d", fuse_fd);
        snprintf(source, sizeof(source), "homefs:%s", user);
        r = set_string(fs_fd, "fd", num);
        if (r >= 0)
                r = set_string(fs_fd, "rootmode", "40000");
        if (r >= 0)
                r = set_string(fs_fd, "user_id", "0");
        if (r >= 0)
                r = set_string(fs_fd, "group_id", "0");
        if (r >= 0)
                r = set_string(fs_fd, "source", source);
        if (r >= 0)
                r = set_string(fs_fd, "subtype", "homefs");
        if (r >= 0 && (fsconfig(fs_fd, FSCONFIG_SET_FLAG, "allow_other", NULL, 0) < 0 ||
                       fsconfig(fs_fd, FSCONFIG_SET_FLAG, "default_permissions", NULL, 0) < 0 ||
                       fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0))
                r = -errno;
        if (r < 0)
                return log_error_errno(-r, "cannot set up the FUSE mount: %m");
        mnt_fd = fsmount(fs_fd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
        if (mnt_fd < 0)
                return log_error_errno(errno, "fsmount(fuse): %m");
        if (move_mount(mnt_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return log_error_errno(errno, "cannot attach the mount: %m");
        /* The mount's id, to find it again at unmount. No GETATTR reaches
         * the (not yet serving) daemon: the cached attributes do. */
        if (statx(mnt_fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx) < 0 ||
            !(stx.stx_mask & STATX_MNT_ID))
                return log_error_errno(errno ?: ENOTSUP, "cannot read the new mount's id: %m");
        *ret_mnt_id = stx.stx_mnt_id;
        return TAKE_FD(fuse_fd);
}

void fuse_unmount_at(const char *mountpoint, uint64_t mnt_id, int fuse_fd) {
        _cleanup_close_ int dir_fd = -1, fd = -1;
        struct pollfd pfd = { .fd = fuse_fd };
        char proc[64];
        const char *name;
        struct statx stx;

        /* Unmounted already (umount(8), the agent): the device says so. */
        if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR))
                return;
        dir_fd = safe_path_open_parent(mountpoint, &name, NULL, 0);
        if (dir_fd >= 0)
                fd = safe_path_openat(dir_fd, name, O_PATH | O_DIRECTORY);
        if (fd < 0 || statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx) < 0 ||
            stx.stx_mnt_id != mnt_id) {
                log_warning("%s is no longer this front's mount; leaving it alone", mountpoint);
                return;
        }
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        if (umount2(proc, MNT_DETACH) < 0)
                log_warning_errno(errno, "cannot unmount %s: %m", mountpoint);
}
