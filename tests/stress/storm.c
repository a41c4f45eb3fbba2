/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storm: concurrent create/rename/link/unlink/mkdir/rmdir/read storms from
 * several processes on a small shared namespace (so they collide), then a
 * consistency check of what is left: every name readdir lists can be
 * lstat()ed, every file holds what some writer wrote, hard link counts match
 * the names found, directory link counts match their subdirectories.
 *
 *   storm [-p procs] [-N ops per process] [-n names] [-S seed] DIR
 *
 * Races make some calls fail in expected ways (ENOENT, EEXIST, ENOTEMPTY,
 * ...); any other error, or an inconsistency at the end, fails the run. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TAG "storm "
#define MAX_ENTRIES 65536

static unsigned arg_names = 24;
static int dir_fd = -1;

static uint64_t rng;
static uint64_t rnd(void) {
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        return rng * 2685821657736338717ULL;
}

/* Files are "fA" or "dB/fA", directories "dB": renames move files between
 * directories and replace whole directories, which get emptied and removed,
 * while the tree stays one level deep. */
static void rnd_file(char *buf, size_t size) {
        if (rnd() % 2 == 0)
                snprintf(buf, size, "d%u/f%u", (unsigned) (rnd() % arg_names / 4), (unsigned) (rnd() % arg_names));
        else
                snprintf(buf, size, "f%u", (unsigned) (rnd() % arg_names));
}

static void rnd_dir(char *buf, size_t size) {
        snprintf(buf, size, "d%u", (unsigned) (rnd() % arg_names / 4));
}

static bool expected(int e) {
        switch (e) {
        case ENOENT: case EEXIST: case ENOTEMPTY: case ENOTDIR: case EISDIR:
        case EPERM:  /* link() of a directory */
        case EINVAL: /* rename of a directory below itself */
        case EBUSY:
                return true;
        }
        return false;
}

static int do_create(const char *a, unsigned seq) {
        char tag[64];
        int fd = openat(dir_fd, a, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644), n;

        if (fd < 0)
                return -1;
        n = snprintf(tag, sizeof(tag), TAG "%d %u\n", (int) getpid(), seq);
        if (write(fd, tag, (size_t) n) != n) {
                int e = errno;
                close(fd);
                errno = e;
                return -1;
        }
        return close(fd);
}

/* A file holds nothing yet (caught between create and write) or a tag. */
static bool content_valid(const char *buf, ssize_t n) {
        return n == 0 || (n > (ssize_t) strlen(TAG) && strncmp(buf, TAG, strlen(TAG)) == 0 && buf[n - 1] == '\n');
}

static int do_read(const char *a) {
        char buf[128];
        int fd = openat(dir_fd, a, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        ssize_t n;

        if (fd < 0)
                return -1;
        n = read(fd, buf, sizeof(buf));
        close(fd);
        if (n < 0 && errno == EISDIR)
                return -1;
        if (n < 0 || !content_valid(buf, n)) {
                fprintf(stderr, "storm: %s holds garbage (%zd bytes)\n", a, n);
                errno = EBADMSG;
                return -1;
        }
        return 0;
}

static int child(unsigned long ops) {
        unsigned long failures = 0;

        for (unsigned long i = 0; i < ops; i++) {
                char a[64], b[64];
                const char *what;
                int r;

                rnd_file(a, sizeof(a));
                rnd_file(b, sizeof(b));
                switch (rnd() % 10) {
                case 0: case 1: what = "create"; r = do_create(a, (unsigned) i); break;
                case 2: case 3: what = "rename"; r = renameat(dir_fd, a, dir_fd, b); break;
                case 4: what = "unlink"; r = unlinkat(dir_fd, a, 0); break;
                case 5: what = "link"; r = linkat(dir_fd, a, dir_fd, b, 0); break;
                case 6:
                        rnd_dir(a, sizeof(a));
                        what = "mkdir"; r = mkdirat(dir_fd, a, 0755); break;
                case 7:
                        rnd_dir(a, sizeof(a));
                        what = "rmdir"; r = unlinkat(dir_fd, a, AT_REMOVEDIR); break;
                case 8:
                        rnd_dir(a, sizeof(a));
                        rnd_dir(b, sizeof(b));
                        what = "rename directory"; r = renameat(dir_fd, a, dir_fd, b); break;
                default: what = "read"; r = do_read(a); break;
                }
                if (r < 0 && !expected(errno)) {
                        fprintf(stderr, "storm[%d]: %s %s %s: %m\n", (int) getpid(), what, a, b);
                        if (++failures > 10)
                                return 1;
                }
        }
        return failures ? 1 : 0;
}

struct entry {
        ino_t ino;
        nlink_t nlink;
};

static struct entry entries[MAX_ENTRIES];
static size_t n_entries;

/* Check a directory tree; returns the number of problems. */
static unsigned check_dir(int fd, const char *where, unsigned depth, unsigned *subdirs) {
        DIR *d = fdopendir(fd);
        struct dirent *de;
        unsigned bad = 0;

        if (!d)
                return 1;
        *subdirs = 0;
        while ((de = readdir(d))) {
                struct stat st;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        fprintf(stderr, "storm: %s/%s is listed but lstat fails: %m\n", where, de->d_name);
                        bad++;
                        continue;
                }
                if (S_ISDIR(st.st_mode)) {
                        unsigned sub = 0;
                        int sfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        char path[512];

                        (*subdirs)++;
                        snprintf(path, sizeof(path), "%s/%s", where, de->d_name);
                        if (sfd < 0 || depth > 2) {
                                fprintf(stderr, "storm: cannot open %s, or nested too deep\n", path);
                                if (sfd >= 0)
                                        close(sfd);
                                bad++;
                                continue;
                        }
                        bad += check_dir(sfd, path, depth + 1, &sub);
                        if (st.st_nlink != 2 + sub) {
                                fprintf(stderr, "storm: %s has link count %ju, but %u subdirectories\n", path, (uintmax_t) st.st_nlink, sub);
                                bad++;
                        }
                } else if (S_ISREG(st.st_mode)) {
                        char buf[128];
                        int ffd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC);
                        ssize_t n = ffd >= 0 ? read(ffd, buf, sizeof(buf)) : -1;

                        if (ffd >= 0)
                                close(ffd);
                        if (!content_valid(buf, n)) {
                                fprintf(stderr, "storm: %s/%s holds garbage\n", where, de->d_name);
                                bad++;
                        }
                        if (n_entries < MAX_ENTRIES)
                                entries[n_entries++] = (struct entry) { st.st_ino, st.st_nlink };
                }
        }
        closedir(d);
        return bad;
}

static int cmp_entry(const void *a, const void *b) {
        ino_t x = ((const struct entry *) a)->ino, y = ((const struct entry *) b)->ino;
        return x < y ? -1 : x > y;
}

/* Every file's link count equals the names found for it. */
static unsigned check_links(void) {
        unsigned bad = 0;

        qsort(entries, n_entries, sizeof(entries[0]), cmp_entry);
        for (size_t i = 0, j; i < n_entries; i = j) {
                for (j = i; j < n_entries && entries[j].ino == entries[i].ino; j++)
                        ;
                if (entries[i].nlink != j - i) {
                        fprintf(stderr, "storm: inode %ju has link count %ju, but %zu names\n",
                                (uintmax_t) entries[i].ino, (uintmax_t) entries[i].nlink, j - i);
                        bad++;
                }
        }
        return bad;
}

int main(int argc, char *argv[]) {
        unsigned long ops = 20000;
        unsigned procs = 4, bad = 0, sub = 0, failed = 0;
        uint64_t seed = (uint64_t) time(NULL);
        struct timespec t0, t1;
        int c;

        while ((c = getopt(argc, argv, "p:N:n:S:")) >= 0)
                switch (c) {
                case 'p': procs = (unsigned) strtoul(optarg, NULL, 0); break;
                case 'N': ops = strtoul(optarg, NULL, 0); break;
                case 'n': arg_names = (unsigned) strtoul(optarg, NULL, 0); break;
                case 'S': seed = strtoull(optarg, NULL, 0); break;
                default: goto usage;
                }
        if (optind + 1 != argc || procs < 1 || procs > 64 || arg_names < 2)
                goto usage;
        dir_fd = open(argv[optind], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0) {
                fprintf(stderr, "storm: %s: %m\n", argv[optind]);
                return 1;
        }
        fprintf(stderr, "storm: %u processes × %lu ops on %s, %u names, seed %" PRIu64 "\n", procs, ops, argv[optind], arg_names, seed);

        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (unsigned i = 0; i < procs; i++) {
                pid_t pid = fork();

                if (pid < 0)
                        return 1;
                if (pid == 0) {
                        rng = seed * 1000003ULL + i + 1;
                        _exit(child(ops));
                }
        }
        for (unsigned i = 0; i < procs; i++) {
                int status;

                if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        failed++;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);

        bad = check_dir(dup(dir_fd), argv[optind], 1, &sub);
        bad += check_links();
        fprintf(stderr, "storm: %lu ops in %.1f s; %u processes failed, %u inconsistencies; %zu files left\n",
                ops * procs, (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9,
                failed, bad, n_entries);
        return failed || bad ? 1 : 0;
usage:
        fprintf(stderr, "usage: storm [-p procs] [-N ops per process] [-n names] [-S seed] DIR\n");
        return 2;
}
