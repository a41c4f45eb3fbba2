/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Processes: running tools, starting daemons, timing, CPU time. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

double now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* environ plus extra: a NULL-terminated array to free (not its strings). */
static char **env_merge(char *const extra[]) {
        size_t n = 0, m = 0;
        char **e;

        while (environ[n])
                n++;
        while (extra && extra[m])
                m++;
        e = calloc(n + m + 1, sizeof(char *));
        if (!e)
                return NULL;
        memcpy(e, extra, m * sizeof(char *));
        memcpy(e + m, environ, n * sizeof(char *));
        return e;
}

static pid_t spawn_io(char *const argv[], char *const env[], const char *in_file, int out_fd, int err_fd) {
        posix_spawn_file_actions_t fa;
        char **e = env_merge(env);
        pid_t pid;
        int r;

        if (!e)
                return -ENOMEM;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, in_file ?: "/dev/null", O_RDONLY, 0);
        if (out_fd >= 0)
                posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
        else
                posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        if (err_fd >= 0)
                posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
        r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, e);
        posix_spawn_file_actions_destroy(&fa);
        free(e);
        return r == 0 ? pid : -r;
}

static int wait_status(pid_t pid) {
        int st;

        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int run_argv(char *const argv[], char *const env[], const char *in_file, char *out, size_t out_size) {
        int p[2] = { -1, -1 };
        size_t n = 0;
        pid_t pid;
        int r;

        if (out && pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = spawn_io(argv, env, in_file, out ? p[1] : -1, 2);
        if (out)
                close(p[1]);
        if (pid < 0) {
                if (out)
                        close(p[0]);
                return pid;
        }
        if (out) {
                ssize_t k;

                while ((k = read(p[0], out + n, out_size - 1 - n)) > 0 || (k < 0 && errno == EINTR))
                        if (k > 0)
                                n += (size_t) k;
                out[n] = 0;
                close(p[0]);
        }
        r = wait_status(pid);
        return r;
}

int run_sh(const char *fmt, ...) {
        char *cmd = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&cmd, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        {
                char *const argv[] = { "/bin/sh", "-c", cmd, NULL };

                r = run_argv(argv, NULL, NULL, NULL, 0);
        }
        free(cmd);
        return r;
}

pid_t spawn_argv(char *const argv[], char *const env[], const char *log_file) {
        int fd = open(log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        pid_t pid;

        if (fd < 0)
                return -errno;
        pid = spawn_io(argv, env, NULL, fd, fd);
        close(fd);
        return pid;
}

static double pid_cpu(pid_t pid) {
        char path[64], buf[1024], *p;
        unsigned long long ut = 0, st = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return 0;
        if (!fgets(buf, sizeof(buf), f)) {
                fclose(f);
                return 0;
        }
        fclose(f);
        /* The command name may contain spaces: fields follow the last ')'. */
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
                return 0;
        return (double) (ut + st) / (double) sysconf(_SC_CLK_TCK);
}

double config_cpu(const struct config_state *c) {
        double s = 0;

        for (size_t k = 0; k < c->n_pids; k++)
                s += pid_cpu(c->pids[k]);
        return s;
}

void stop_pid(pid_t pid, int sig) {
        if (pid <= 0)
                return;
        kill(pid, sig);
        for (int k = 0; k < 100; k++) {
                if (waitpid(pid, NULL, WNOHANG) == pid || kill(pid, 0) < 0)
                        return;
                usleep(50 * 1000);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

int drop_caches(void) {
        int fd;

        sync();
        fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, "3\n", 2) != 2) {
                close(fd);
                return -EIO;
        }
        close(fd);
        return 0;
}

long page_cache_drops(void) {
        char line[128];
        long n = -1;
        FILE *f = fopen("/proc/vmstat", "re");

        if (!f)
                return -1;
        while (n < 0 && fgets(line, sizeof(line), f))
                if (sscanf(line, "drop_pagecache %ld", &n) != 1)
                        n = -1;
        fclose(f);
        return n;
}

ssize_t proc_read(const char *pid, const char *name, char *buf, size_t size) {
        char path[96];
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%s/%s", pid, name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        n = read(fd, buf, size - 1);
        close(fd);
        buf[n > 0 ? n : 0] = 0;
        return n;
}
