/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* homefs-roundtrip: the cost of one FUSE round trip and of metadata work,
 * for comparing homefsd's transports (/dev/fuse, io_uring) with native.
 * bench/roundtrip.sh runs it; see bench/README.md.
 *
 *   homefs-roundtrip null DIR [N]     N statx(AT_STATX_FORCE_SYNC) of one
 *                                     file: on FUSE each is a GETATTR
 *   homefs-roundtrip null2 DIR [N]    the same from two threads, one per
 *                                     CPU (0 and 1), each on its own file
 *   homefs-roundtrip create DIR [N]   create N empty files in DIR/c
 *   homefs-roundtrip stat DIR         stat every file of DIR/c
 *   homefs-roundtrip unlink DIR       unlink every file of DIR/c, then it
 *   homefs-roundtrip switch [N]       N round trips of one byte through two
 *                                     pipes between two processes on CPU 0:
 *                                     the least any round trip between a
 *                                     caller and a daemon costs here
 *   homefs-roundtrip switchx [N]      the same with the second on CPU 1
 *
 * Prints one line: "<case> <seconds> <per-op µs>". */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parse-util.h"

static double now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void die(const char *what) {
        fprintf(stderr, "homefs-roundtrip: %s: %s\n", what, strerror(errno));
        exit(EXIT_FAILURE);
}

struct null_job {
        char path[4096];
        long n;
        int cpu;
        double seconds;
};

/* Runs the calling thread on cpu only; false where that CPU is missing. */
static bool pin(int cpu) {
        cpu_set_t set;

        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        return sched_setaffinity(0, sizeof(set), &set) == 0;
}

static void *null_run(void *p) {
        struct null_job *j = p;
        struct statx stx;
        double t0;

        if (j->cpu >= 0)
                (void) pin(j->cpu);
        /* Warm up: the lookup, the first GETATTR. */
        for (int k = 0; k < 100; k++)
                if (statx(AT_FDCWD, j->path, AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &stx) < 0)
                        die(j->path);
        t0 = now();
        for (long k = 0; k < j->n; k++)
                if (statx(AT_FDCWD, j->path, AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &stx) < 0)
                        die(j->path);
        j->seconds = now() - t0;
        return NULL;
}

static void null_file(struct null_job *j, const char *dir, int k) {
        int fd;

        snprintf(j->path, sizeof(j->path), "%s/null%d", dir, k);
        fd = open(j->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                die(j->path);
        close(fd);
}

static int cmd_null(const char *dir, long n, int threads) {
        struct null_job jobs[2];
        pthread_t t[2];
        double max = 0;

        for (int k = 0; k < threads; k++) {
                null_file(&jobs[k], dir, k);
                jobs[k].n = n;
                jobs[k].cpu = threads > 1 ? k : -1;
        }
        for (int k = 0; k < threads; k++)
                if (pthread_create(&t[k], NULL, null_run, &jobs[k]) != 0)
                        die("pthread_create");
        for (int k = 0; k < threads; k++) {
                pthread_join(t[k], NULL);
                if (jobs[k].seconds > max)
                        max = jobs[k].seconds;
        }
        for (int k = 0; k < threads; k++)
                unlink(jobs[k].path);
        /* Two threads: µs per operation of the pair (throughput). */
        printf("%s %.6f %.3f\n", threads > 1 ? "null2" : "null", max, max * 1e6 / ((double) n * threads));
        return 0;
}

static int cmd_create(const char *dir, long n) {
        char path[4096];
        int dfd;
        double t0;

        snprintf(path, sizeof(path), "%s/c", dir);
        if (mkdir(path, 0755) < 0)
                die(path);
        dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                die(path);
        t0 = now();
        for (long k = 0; k < n; k++) {
                char name[32];
                int fd;

                snprintf(name, sizeof(name), "f%06ld", k);
                fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                if (fd < 0)
                        die(name);
                close(fd);
        }
        t0 = now() - t0;
        close(dfd);
        printf("create %.6f %.3f\n", t0, t0 * 1e6 / (double) n);
        return 0;
}

static int cmd_walk(const char *dir, bool remove) {
        char path[4096];
        struct dirent *de;
        struct stat st;
        long n = 0;
        double t0;
        DIR *d;

        snprintf(path, sizeof(path), "%s/c", dir);
        t0 = now();
        d = opendir(path);
        if (!d)
                die(path);
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (remove ? unlinkat(dirfd(d), de->d_name, 0) : fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
                        die(de->d_name);
                n++;
        }
        closedir(d);
        if (remove && rmdir(path) < 0)
                die(path);
        t0 = now() - t0;
        printf("%s %.6f %.3f\n", remove ? "unlink" : "stat", t0, n ? t0 * 1e6 / (double) n : 0.0);
        return 0;
}

/* Two processes hand a byte back and forth: two context switches and four
 * system calls per round trip, nothing else. */
static int cmd_switch(long n, int cpu_b) {
        int ab[2], ba[2];
        char c = 0;
        double t0;
        pid_t pid;

        if (pipe(ab) < 0 || pipe(ba) < 0)
                die("pipe");
        pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                if (!pin(cpu_b))
                        die("sched_setaffinity");
                for (long k = 0; k < n; k++)
                        if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1)
                                _exit(EXIT_FAILURE);
                _exit(EXIT_SUCCESS);
        }
        if (!pin(0))
                die("sched_setaffinity");
        t0 = now();
        for (long k = 0; k < n; k++)
                if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
                        die("pipe round trip");
        t0 = now() - t0;
        (void) waitpid(pid, NULL, 0);
        printf("%s %.6f %.3f\n", cpu_b ? "switchx" : "switch", t0, t0 * 1e6 / (double) n);
        return 0;
}

/* The optional N at argv[k]: 0 where absent, -1 (said) where not a number. */
static long arg_n(int argc, char *argv[], int k) {
        uint64_t v;

        if (argc <= k)
                return 0;
        if (safe_atou64(argv[k], &v) < 0 || v > LONG_MAX) {
                fprintf(stderr, "homefs-roundtrip: N must be a whole number: %s\n", argv[k]);
                return -1;
        }
        return (long) v;
}

int main(int argc, char *argv[]) {
        bool pipes = argc >= 2 && (!strcmp(argv[1], "switch") || !strcmp(argv[1], "switchx"));
        long n;

        if (argc < (pipes ? 2 : 3)) {
                fprintf(stderr, "Usage: homefs-roundtrip null|null2|create|stat|unlink DIR [N]\n"
                                "       homefs-roundtrip switch|switchx [N]\n");
                return EXIT_FAILURE;
        }
        n = arg_n(argc, argv, pipes ? 2 : 3);
        if (n < 0)
                return EXIT_FAILURE;
        if (pipes)
                return cmd_switch(n > 0 ? n : 100000, !strcmp(argv[1], "switchx"));
        if (!strcmp(argv[1], "null"))
                return cmd_null(argv[2], n > 0 ? n : 20000, 1);
        if (!strcmp(argv[1], "null2"))
                return cmd_null(argv[2], n > 0 ? n : 20000, 2);
        if (!strcmp(argv[1], "create"))
                return cmd_create(argv[2], n > 0 ? n : 10000);
        if (!strcmp(argv[1], "stat"))
                return cmd_walk(argv[2], false);
        if (!strcmp(argv[1], "unlink"))
                return cmd_walk(argv[2], true);
        fprintf(stderr, "homefs-roundtrip: unknown case %s\n", argv[1]);
        return EXIT_FAILURE;
}
