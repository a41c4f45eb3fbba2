/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "activation-userspace.h"
#include "log.h"
#include "spawn.h"
#include "time-util.h"
#include "macro.h"

#define CRYPTDEV_KEY_SIZE 64
#define CHILD_KEY_FD 3
#define CHILD_READY_FD 4
#define READY_TIMEOUT_MS 10000
#define STOP_GRACE_MS 5000

enum { ARG_BINARY, ARG_IMAGE, ARG_OFFSET, ARG_SIZE, ARG_SECTOR, ARG_TWEAK, ARG_KEYFD, ARG_READYFD,
       ARG_DISCARD, ARG_MOUNTPOINT, ARG_COUNT };

static void argv_free(char **argv) {
        for (size_t i = 0; i < ARG_COUNT; i++)
                free(argv[i]);
}

/* asprintf() leaves *ret undefined on failure; make it NULL. */
static int format(char **ret, const char *fmt, ...) _printf_(2, 3);
static int format(char **ret, const char *fmt, ...) {
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(ret, fmt, ap);
        va_end(ap);
        if (n < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* All of argv is built before fork(): the child may only call
 * async-signal-safe functions, and malloc() is not one. */
static int argv_build(char *argv[ARG_COUNT + 1], const char *binary, const char *image, uint64_t offset,
                      uint64_t size, uint32_t sector_size, uint64_t iv_tweak, bool discard, const char *mountpoint) {
        int r = 0;

        memset(argv, 0, sizeof(char *) * (ARG_COUNT + 1));
        r |= format(&argv[ARG_BINARY], "%s", binary);
        r |= format(&argv[ARG_IMAGE], "--image=%s", image);
        r |= format(&argv[ARG_OFFSET], "--offset=%" PRIu64, offset);
        r |= format(&argv[ARG_SIZE], "--size=%" PRIu64, size);
        r |= format(&argv[ARG_SECTOR], "--sector-size=%" PRIu32, sector_size);
        r |= format(&argv[ARG_TWEAK], "--iv-tweak=%" PRIu64, iv_tweak);
        r |= format(&argv[ARG_KEYFD], "--key-fd=%d", CHILD_KEY_FD);
        r |= format(&argv[ARG_READYFD], "--ready-fd=%d", CHILD_READY_FD);
        r |= format(&argv[ARG_DISCARD], "--discard=%s", discard ? "yes" : "no");
        r |= format(&argv[ARG_MOUNTPOINT], "%s", mountpoint);
        if (r != 0) {
                argv_free(argv);
                return -ENOMEM;
        }
        return 0;
}

static int mountpoint_create(const char *dir, bool *created) {
        struct stat st;

        *created = false;
        if (mkdir(dir, 0700) >= 0) {
                *created = true;
                return 0;
        }
        if (errno != EEXIST)
                return log_error_errno(errno, "cannot create %s: %m", dir);
        if (lstat(dir, &st) < 0)
                return log_error_errno(errno, "cannot stat %s: %m", dir);
        if (!S_ISDIR(st.st_mode))
                return log_error_errno(ENOTDIR, "%s exists and is not a directory", dir);
        return 0;
}

/* In the child, between fork() and exec(): async-signal-safe calls only. */
static _Noreturn void child_exec(char **argv, int key_fd, int ready_fd) {
        int null_fd, k, w;

        /* Move both fds out of the way first, so that the dup2()s below can
         * neither clobber one another nor be no-ops that keep O_CLOEXEC. */
        k = fcntl(key_fd, F_DUPFD_CLOEXEC, 10);
        w = fcntl(ready_fd, F_DUPFD_CLOEXEC, 10);
        if (k < 0 || w < 0 || dup2(k, CHILD_KEY_FD) < 0 || dup2(w, CHILD_READY_FD) < 0)
                _exit(127);
        null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0)
                _exit(127);
        /* Whatever the agent leaked without O_CLOEXEC stays with the agent. */
        if (close_range(CHILD_READY_FD + 1, ~0U, 0) < 0)
                _exit(127);

        spawn_reset_signals();
        execv(argv[0], argv);
        _exit(127);
}

/* The key as one message. */
static int send_key(int fd, const void *key, size_t size) {
        ssize_t n;

        do
                n = send(fd, key, size, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return negative_errno();
        return (size_t) n == size ? 0 : -EIO;
}

int cryptdev_control(int control_fd, char command, const void *key, size_t key_size, int timeout_ms) {
        uint8_t msg[1 + CRYPTDEV_KEY_SIZE];
        struct pollfd p = { .fd = control_fd, .events = POLLIN };
        ssize_t n;
        char answer = 0;
        int r;

        if (control_fd < 0 || (key && key_size != CRYPTDEV_KEY_SIZE))
                return -EINVAL;
        msg[0] = (uint8_t) command;
        if (key)
                memcpy(msg + 1, key, key_size);
        r = send_key(control_fd, msg, key ? 1 + key_size : 1);
        explicit_bzero(msg, sizeof(msg));
        if (r < 0)
                return r;
        do
                r = poll(&p, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return negative_errno();
        if (r == 0)
                return -ETIMEDOUT;
        do
                n = recv(control_fd, &answer, 1, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return negative_errno();
        if (n == 0)
                return -EPIPE;
        return answer == command - 'A' + 'a' ? 0 : -EIO;
}

/* 0 when the ready byte came, -EIO if the child closed the pipe first (it
 * failed), -ETIMEDOUT after READY_TIMEOUT_MS. */
static int wait_ready(int fd) {
        uint64_t deadline = now_monotonic_msec() + READY_TIMEOUT_MS;

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                uint64_t now = now_monotonic_msec();
                char c;
                ssize_t n;
                int r;

                if (now >= deadline)
                        return -ETIMEDOUT;
                r = poll(&p, 1, (int) (deadline - now));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return negative_errno();
                if (r == 0)
                        continue;
                n = read(fd, &c, 1);
                if (n < 0 && errno == EINTR)
                        continue;
                return n == 1 ? 0 : -EIO;
        }
}

/* Wait up to timeout_ms for pid to exit; 1 and its status if it did. */
static int reap_within(pid_t pid, uint64_t timeout_ms, int *status) {
        uint64_t deadline = now_monotonic_msec() + timeout_ms;

        for (;;) {
                struct timespec tick = { 0, 10 * 1000 * 1000 };
                pid_t r = waitpid(pid, status, WNOHANG);

                if (r == pid)
                        return 1;
                if (r < 0 && errno != EINTR)
                        return negative_errno();
                if (now_monotonic_msec() >= deadline)
                        return 0;
                nanosleep(&tick, NULL);
        }
}

static void kill_and_reap(pid_t pid) {
        int status;

        (void) kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
}

int cryptdev_start(const char *cryptdev_binary, const char *image_path,
                   uint64_t offset_bytes, uint64_t size_bytes, uint32_t sector_size,
                   uint64_t iv_tweak, const void *key, size_t key_size, bool discard,
                   const char *mountpoint_dir, pid_t *ret_pid, int *ret_control_fd) {
        _cleanup_close_ int key_parent = -1, key_child = -1, ready_read = -1, ready_write = -1;
        char *argv[ARG_COUNT + 1];
        int sv[2], pipefd[2], r;
        bool created;
        pid_t pid;

        if (!cryptdev_binary || !image_path || !key || key_size != CRYPTDEV_KEY_SIZE ||
            !mountpoint_dir || !ret_pid || !ret_control_fd || size_bytes == 0 || sector_size == 0)
                return -EINVAL;

        r = mountpoint_create(mountpoint_dir, &created);
        if (r < 0)
                return r;
        r = argv_build(argv, cryptdev_binary, image_path, offset_bytes, size_bytes, sector_size,
                       iv_tweak, discard, mountpoint_dir);
        if (r < 0)
                goto fail_dir;

        /* A socket rather than a pipe for the key: send(MSG_NOSIGNAL) cannot
         * raise SIGPIPE in the agent if the child dies early. Seqpacket: the
         * key is one message, and the socket stays as the control channel
         * (cryptdev/cryptdev-key.c) that wipes and gives back the key. */
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                r = log_error_errno(errno, "cannot create a socket pair: %m");
                goto fail_argv;
        }
        key_parent = sv[0];
        key_child = sv[1];
        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                r = log_error_errno(errno, "cannot create a pipe: %m");
                goto fail_argv;
        }
        ready_read = pipefd[0];
        ready_write = pipefd[1];

        pid = fork();
        if (pid < 0) {
                r = log_error_errno(errno, "fork() failed: %m");
                goto fail_argv;
        }
        if (pid == 0)
                child_exec(argv, key_child, ready_write);

        key_child = safe_close(key_child);
        ready_write = safe_close(ready_write);
        r = send_key(key_parent, key, key_size);
        if (r < 0)
                log_error_errno(r, "cannot hand the key to homefs-cryptdev: %m");
        else {
                r = wait_ready(ready_read);
                if (r == -ETIMEDOUT)
                        log_error("homefs-cryptdev did not become ready within %d ms", READY_TIMEOUT_MS);
                else if (r < 0)
                        log_error("homefs-cryptdev failed to start");
        }
        if (r < 0) {
                kill_and_reap(pid);
                /* It may have died after mounting: drop the dead mount. */
                (void) umount2(mountpoint_dir, MNT_DETACH | UMOUNT_NOFOLLOW);
                goto fail_argv;
        }
        argv_free(argv);
        *ret_pid = pid;
        *ret_control_fd = TAKE_FD(key_parent);
        return 0;

fail_argv:
        argv_free(argv);
fail_dir:
        if (created)
                (void) rmdir(mountpoint_dir);
        return r;
}

int cryptdev_stop(const char *mountpoint_dir, pid_t pid) {
        int status = 0, r;

        if (!mountpoint_dir || pid <= 1)
                return -EINVAL;

        /* EINVAL: not mounted (any more); the daemon then exits on its own
         * or by the signals below. */
        if (umount2(mountpoint_dir, UMOUNT_NOFOLLOW) < 0 && errno == EBUSY) {
                /* The volume is still held: by a filesystem that the caller
                 * has shut down (files kept open through kernel passthrough
                 * keep its superblock alive). It does no more I/O, so waiting
                 * gains nothing: the engine goes now, and the key with it. */
                log_info("%s is still held by the shut-down filesystem; stopping the engine now", mountpoint_dir);
                (void) umount2(mountpoint_dir, MNT_DETACH | UMOUNT_NOFOLLOW);
                kill_and_reap(pid);
                if (rmdir(mountpoint_dir) < 0 && errno != ENOENT)
                        log_warning_errno(errno, "cannot remove %s: %m", mountpoint_dir);
                return 0;
        }

        r = reap_within(pid, STOP_GRACE_MS, &status);
        if (r == 0) {
                log_warning("homefs-cryptdev (pid %d) still running, sending SIGTERM", (int) pid);
                (void) kill(pid, SIGTERM);
                r = reap_within(pid, STOP_GRACE_MS, &status);
        }
        if (r == 0) {
                log_error("homefs-cryptdev (pid %d) did not exit, killing it", (int) pid);
                kill_and_reap(pid);
                r = -ETIMEDOUT;
        } else if (r > 0)
                r = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;

        if (rmdir(mountpoint_dir) < 0 && errno != ENOENT)
                log_warning_errno(errno, "cannot remove %s: %m", mountpoint_dir);
        return r;
}
