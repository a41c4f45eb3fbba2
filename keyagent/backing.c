/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backing.h"
#include "dir-util.h"
#include "log.h"
#include "macro.h"
#include "spawn.h"

#ifndef EXT4_IOC_SHUTDOWN
#define EXT4_IOC_SHUTDOWN _IOR('X', 125, uint32_t)
#endif
#define EXT4_GOING_FLAGS_DEFAULT 0x0 /* going down: flush first */

#define SKEL_DEPTH_MAX 16
#define COPY_CHUNK (128 * 1024)

int backing_mkfs(const char *device, const char *label) {
        char path[64];
        int r;

        r = find_program("mkfs.ext4", path, sizeof(path));
        if (r < 0)
                return log_error_errno(r, "mkfs.ext4 not found; install e2fsprogs");
        r = spawn_run((char *[]) { path, "-q", "-F", "-L", (char *) label, "-b", "4096",
                                   "-E", "lazy_itable_init=1,nodiscard", (char *) device, NULL });
        if (r < 0)
                return log_error_errno(r, "mkfs.ext4 on %s could not run: %m", device);
        if (r > 0)
                return log_error_errno(-EIO, "mkfs.ext4 on %s failed (exit status %d)", device, r);
        return 0;
}

int backing_fsck(const char *device) {
        char path[64];
        int r;

        r = find_program("e2fsck", path, sizeof(path));
        if (r < 0)
                return log_error_errno(r, "e2fsck not found; install e2fsprogs");
        r = spawn_run((char *[]) { path, "-p", (char *) device, NULL });
        if (r < 0)
                return log_error_errno(r, "e2fsck on %s could not run: %m", device);
        /* 0: clean, 1: errors corrected, 2: corrected, reboot advised (not for us). */
        if (r > 2)
                return log_error_errno(-EUCLEAN, "e2fsck found errors on %s it could not repair (exit status %d); run e2fsck by hand", device, r);
        if (r > 0)
                log_info("e2fsck repaired the filesystem on %s", device);
        return 0;
}

int backing_mount(const char *device, bool discard, int *ret_mount_fd) {
        _cleanup_close_ int fs_fd = -1;
        int mnt_fd;

        fs_fd = fsopen("ext4", FSOPEN_CLOEXEC);
        if (fs_fd < 0)
                return log_error_errno(-errno, "fsopen(ext4): %m");
        /* Online discard: freed blocks go back to the host within a
         * journal commit, as the record's luksDiscard promises. */
        if (discard && fsconfig(fs_fd, FSCONFIG_SET_FLAG, "discard", NULL, 0) < 0)
                return log_error_errno(-errno, "mounting %s (ext4) with discard: %m", device);
        if (fsconfig(fs_fd, FSCONFIG_SET_STRING, "source", device, 0) < 0 ||
            fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return log_error_errno(-errno, "mounting %s (ext4): %m", device);
        mnt_fd = fsmount(fs_fd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
        if (mnt_fd < 0)
                return log_error_errno(-errno, "fsmount of %s: %m", device);
        *ret_mount_fd = mnt_fd;
        return 0;
}

static int copy_file_contents(int from, int to) {
        for (;;) {
                ssize_t n = copy_file_range(from, NULL, to, NULL, COPY_CHUNK, 0);

                if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP)) {
                        char buf[8192];

                        n = read(from, buf, sizeof(buf));
                        if (n > 0 && write(to, buf, (size_t) n) != n)
                                return -EIO;
                }
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
        }
}

static int copy_tree(int src_dir, int dst_dir, uid_t uid, gid_t gid, unsigned depth);

/* Copy one entry of src_dir into dst_dir, owned by uid/gid. */
static int copy_entry(int src_dir, int dst_dir, const char *name, uid_t uid, gid_t gid, unsigned depth) {
        struct stat st;
        int r = 0;

        if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode)) {
                _cleanup_close_ int s = -1, d = -1;

                if (mkdirat(dst_dir, name, st.st_mode & 07777) < 0 && errno != EEXIST)
                        return -errno;
                s = openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                d = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (s < 0 || d < 0)
                        return -errno;
                /* fchmod: the agent's umask must not narrow the skeleton's modes. */
                if (fchown(d, uid, gid) < 0 || fchmod(d, st.st_mode & 07777) < 0)
                        return -errno;
                return copy_tree(s, d, uid, gid, depth + 1);
        }
        if (S_ISREG(st.st_mode)) {
                _cleanup_close_ int s = -1, d = -1;

                s = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (s < 0)
                        return -errno;
                d = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 0777);
                if (d < 0)
                        return -errno;
                r = copy_file_contents(s, d);
                if (r == 0 && (fchown(d, uid, gid) < 0 || fchmod(d, st.st_mode & 0777) < 0))
                        r = -errno;
                return r;
        }
        if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(src_dir, name, target, sizeof(target) - 1);

                if (n < 0)
                        return -errno;
                target[n] = 0;
                if (symlinkat(target, dst_dir, name) < 0)
                        return -errno;
                if (fchownat(dst_dir, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;
        }
        return 0; /* devices, fifos and sockets in skel are skipped */
}

static int copy_tree(int src_dir, int dst_dir, uid_t uid, gid_t gid, unsigned depth) {
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (depth > SKEL_DEPTH_MAX)
                return -ELOOP;
        d = opendir_fd(src_dir);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                r = copy_entry(src_dir, dst_dir, de->d_name, uid, gid, depth);
                if (r < 0) {
                        log_error_errno(r, "copying skeleton entry %s: %m", de->d_name);
                        break;
                }
        }
        closedir(d);
        return r;
}

int backing_populate(int mount_fd, const char *user_name, uid_t uid, gid_t gid, const char *skel_dir) {
        _cleanup_close_ int home_fd = -1, skel_fd = -1;

        if (mkdirat(mount_fd, user_name, 0700) < 0)
                return log_error_errno(-errno, "creating the home directory in the image: %m");
        home_fd = openat(mount_fd, user_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (home_fd < 0)
                return -errno;
        if (fchown(home_fd, uid, gid) < 0 || fchmod(home_fd, 0700) < 0)
                return log_error_errno(-errno, "setting the owner of the home directory: %m");
        skel_fd = open(skel_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (skel_fd < 0)
                return errno == ENOENT ? 0 : log_error_errno(-errno, "opening %s: %m", skel_dir);
        return copy_tree(skel_fd, home_fd, uid, gid, 0);
}

int backing_open_home(int mount_fd, const char *user_name, int *ret_fd) {
        int fd = openat(mount_fd, user_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0)
                return log_error_errno(-errno, "the image has no home directory '%s': %m", user_name);
        *ret_fd = fd;
        return 0;
}

/* fsmount() gives an O_PATH fd, on which syncfs() and ioctl() do not work. */
static int open_root(int mount_fd) {
        int fd = openat(mount_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        return fd < 0 ? -errno : fd;
}

int backing_sync(int mount_fd) {
        _cleanup_close_ int fd = open_root(mount_fd);

        if (fd < 0)
                return fd;
        return syncfs(fd) < 0 ? -errno : 0;
}

int backing_shutdown(int mount_fd) {
        uint32_t flags = EXT4_GOING_FLAGS_DEFAULT;
        _cleanup_close_ int fd = open_root(mount_fd);

        if (fd < 0)
                return log_error_errno(fd, "opening the home's filesystem: %m");
        if (syncfs(fd) < 0)
                log_warning_errno(-errno, "syncfs before lock: %m");
        if (ioctl(fd, EXT4_IOC_SHUTDOWN, &flags) < 0)
                return log_error_errno(-errno, "shutting the home's filesystem down: %m");
        return 0;
}
