/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fsx: an fsx-style file system exerciser. Random operations on one file --
 * read, write, truncate, fallocate, punch hole, mmap read, mmap write,
 * copy_file_range, fsync, close and reopen -- checked against an in-memory
 * model of what the file must contain. Every read (and every so many ops the
 * whole file) is compared with the model; the first mismatch ends the run
 * with the operation log, so a failure can be replayed with the same seed.
 *
 *   fsx [-N ops] [-S seed] [-l maxlen] [-o maxop] [-c checkevery] [-F op] FILE
 *
 * -F op corrupts one byte of the file behind the model's back after that
 * op: the run must then fail (the test of the tester).
 *
 * Exit status 0: no mismatch and no unexpected error; 1 otherwise. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum op {
        OP_READ, OP_WRITE, OP_TRUNCATE, OP_FALLOCATE, OP_PUNCH, OP_MAPREAD, OP_MAPWRITE,
        OP_COPY_RANGE, OP_FSYNC, OP_REOPEN, OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
        "read", "write", "truncate", "fallocate", "punch_hole", "mapread", "mapwrite",
        "copy_file_range", "fsync", "reopen",
};

/* Relative frequencies: data ops dominate, as in fsx. */
static const unsigned op_weight[OP_COUNT] = { 20, 20, 6, 5, 5, 10, 10, 8, 2, 1 };

#define LOG_KEEP 32

struct fsx {
        const char *path;
        int fd;
        uint8_t *model;          /* what the file must hold, maxlen bytes */
        uint8_t *buf;            /* scratch, maxlen bytes */
        size_t size;             /* the model's file size */
        size_t maxlen, maxop;
        uint64_t rng;
        unsigned long op_count[OP_COUNT];
        char log[LOG_KEEP][96];  /* the last operations, for a failure report */
        unsigned long n;
};

static uint64_t rnd(struct fsx *f) { /* xorshift64* */
        f->rng ^= f->rng >> 12;
        f->rng ^= f->rng << 25;
        f->rng ^= f->rng >> 27;
        return f->rng * 2685821657736338717ULL;
}

static size_t rnd_below(struct fsx *f, size_t n) {
        return n ? (size_t) (rnd(f) % n) : 0;
}

static void note(struct fsx *f, enum op op, size_t off, size_t len) {
        snprintf(f->log[f->n % LOG_KEEP], sizeof(f->log[0]), "%lu %s off=%zu len=%zu size=%zu",
                 f->n, op_names[op], off, len, f->size);
}

static _Noreturn void fail(struct fsx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static _Noreturn void fail(struct fsx *f, const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "fsx: FAILED at op %lu: ", f->n);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nfsx: the last operations:\n");
        for (unsigned long i = f->n >= LOG_KEEP ? f->n - LOG_KEEP + 1 : 0; i <= f->n; i++)
                fprintf(stderr, "  %s\n", f->log[i % LOG_KEEP]);
        exit(1);
}

static void compare(struct fsx *f, const uint8_t *got, size_t off, size_t len, const char *how) {
        if (memcmp(got, f->model + off, len) == 0)
                return;
        for (size_t i = 0; i < len; i++)
                if (got[i] != f->model[off + i])
                        fail(f, "%s: byte %zu is 0x%02x, expected 0x%02x", how, off + i, got[i], f->model[off + i]);
}

static void check_size(struct fsx *f) {
        struct stat st;

        if (fstat(f->fd, &st) < 0)
                fail(f, "fstat: %m");
        if ((size_t) st.st_size != f->size)
                fail(f, "size is %jd, expected %zu", (intmax_t) st.st_size, f->size);
}

static void pread_all(struct fsx *f, uint8_t *buf, size_t off, size_t len) {
        for (size_t done = 0; done < len;) {
                ssize_t n = pread(f->fd, buf + done, len - done, (off_t) (off + done));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        fail(f, "pread: %m");
                if (n == 0)
                        fail(f, "pread: short read at %zu (expected up to %zu)", off + done, off + len);
                done += (size_t) n;
        }
}

static void pwrite_all(struct fsx *f, const uint8_t *buf, size_t off, size_t len) {
        for (size_t done = 0; done < len;) {
                ssize_t n = pwrite(f->fd, buf + done, len - done, (off_t) (off + done));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        fail(f, "pwrite: %m");
                done += (size_t) n;
        }
}

/* The model grows with zeros. */
static void model_resize(struct fsx *f, size_t size) {
        if (size > f->size)
                memset(f->model + f->size, 0, size - f->size);
        f->size = size;
}

static void op_read(struct fsx *f, size_t off, size_t len) {
        if (f->size == 0)
                return;
        off %= f->size;
        if (len > f->size - off)
                len = f->size - off;
        pread_all(f, f->buf, off, len);
        compare(f, f->buf, off, len, "read");
}

static void fill_random(struct fsx *f, uint8_t *p, size_t len) {
        for (size_t i = 0; i < len; i += 8) {
                uint64_t v = rnd(f);
                memcpy(p + i, &v, len - i < 8 ? len - i : 8);
        }
}

static void op_write(struct fsx *f, size_t off, size_t len) {
        fill_random(f, f->buf, len);
        pwrite_all(f, f->buf, off, len);
        if (off + len > f->size)
                model_resize(f, off + len);
        memcpy(f->model + off, f->buf, len);
}

static void op_truncate(struct fsx *f, size_t size) {
        if (ftruncate(f->fd, (off_t) size) < 0)
                fail(f, "ftruncate: %m");
        if (size < f->size)
                memset(f->model + size, 0, f->size - size);
        model_resize(f, size);
}

static void op_fallocate(struct fsx *f, size_t off, size_t len, bool keep_size) {
        if (fallocate(f->fd, keep_size ? FALLOC_FL_KEEP_SIZE : 0, (off_t) off, (off_t) len) < 0)
                fail(f, "fallocate: %m");
        if (!keep_size && off + len > f->size)
                model_resize(f, off + len);
}

static void op_punch(struct fsx *f, size_t off, size_t len) {
        if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t) off, (off_t) len) < 0)
                fail(f, "punch hole: %m");
        if (off < f->size)
                memset(f->model + off, 0, (off + len > f->size ? f->size : off + len) - off);
}

/* Map the pages covering [off, off + len) of the file. */
static uint8_t *map(struct fsx *f, size_t off, size_t len, int prot, size_t *map_off, size_t *map_len) {
        size_t page = (size_t) sysconf(_SC_PAGESIZE);
        void *p;

        *map_off = off / page * page;
        *map_len = off + len - *map_off;
        p = mmap(NULL, *map_len, prot, MAP_SHARED, f->fd, (off_t) *map_off);
        if (p == MAP_FAILED)
                fail(f, "mmap: %m");
        return (uint8_t *) p + (off - *map_off);
}

static void op_mapread(struct fsx *f, size_t off, size_t len) {
        size_t mo, ml;
        uint8_t *p;

        if (f->size == 0)
                return;
        off %= f->size;
        if (len > f->size - off)
                len = f->size - off;
        p = map(f, off, len, PROT_READ, &mo, &ml);
        compare(f, p, off, len, "mapread");
        munmap(p - (off - mo), ml);
}

static void op_mapwrite(struct fsx *f, size_t off, size_t len) {
        size_t mo, ml;
        uint8_t *p;

        /* A mapping cannot extend a file: grow it first, as fsx does. */
        if (off + len > f->size)
                op_truncate(f, off + len);
        p = map(f, off, len, PROT_READ | PROT_WRITE, &mo, &ml);
        fill_random(f, f->buf, len);
        memcpy(p, f->buf, len);
        memcpy(f->model + off, f->buf, len);
        if (msync(p - (off - mo), ml, MS_SYNC) < 0)
                fail(f, "msync: %m");
        munmap(p - (off - mo), ml);
}

/* Copy within the file between ranges that do not overlap (the kernel
 * refuses overlapping ones). */
static void op_copy_range(struct fsx *f, size_t src, size_t dst, size_t len) {
        size_t done = 0;

        if (f->size == 0)
                return;
        src %= f->size;
        if (len > f->size - src)
                len = f->size - src;
        if (dst < src + len && src < dst + len)
                dst = src + len + rnd_below(f, 4096);
        if (dst + len > f->maxlen)
                return;
        while (done < len) {
                loff_t s = (loff_t) (src + done), d = (loff_t) (dst + done);
                ssize_t n = copy_file_range(f->fd, &s, f->fd, &d, len - done, 0);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        fail(f, "copy_file_range: %m");
                if (n == 0)
                        fail(f, "copy_file_range: stopped at %zu of %zu", done, len);
                done += (size_t) n;
        }
        if (dst + len > f->size)
                model_resize(f, dst + len);
        memmove(f->model + dst, f->model + src, len);
}

static void reopen(struct fsx *f) {
        if (f->fd >= 0 && close(f->fd) < 0)
                fail(f, "close: %m");
        f->fd = open(f->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (f->fd < 0)
                fail(f, "open %s: %m", f->path);
}

static void check_all(struct fsx *f) {
        check_size(f);
        pread_all(f, f->buf, 0, f->size);
        compare(f, f->buf, 0, f->size, "whole-file check");
}

/* Change one byte the model says is there (or grow the file by one). */
static void inject_fault(struct fsx *f) {
        size_t off = f->size ? rnd_below(f, f->size) : 0;
        uint8_t b = f->size ? (uint8_t) (f->model[off] ^ 0x5a) : 0x5a;

        if (pwrite(f->fd, &b, 1, (off_t) off) != 1)
                fail(f, "injecting the fault: %m");
        fprintf(stderr, "fsx: injected a fault at byte %zu after op %lu\n", off, f->n);
}

static enum op pick(struct fsx *f) {
        unsigned total = 0, r;

        for (int i = 0; i < OP_COUNT; i++)
                total += op_weight[i];
        r = (unsigned) rnd_below(f, total);
        for (int i = 0; i < OP_COUNT; i++) {
                if (r < op_weight[i])
                        return (enum op) i;
                r -= op_weight[i];
        }
        return OP_READ;
}

static void step(struct fsx *f) {
        enum op op = pick(f);
        size_t len = 1 + rnd_below(f, f->maxop);
        size_t off = rnd_below(f, f->maxlen - len + 1);

        note(f, op, off, len);
        switch (op) {
        case OP_READ: op_read(f, off, len); break;
        case OP_WRITE: op_write(f, off, len); break;
        case OP_TRUNCATE: op_truncate(f, rnd_below(f, f->maxlen + 1)); break;
        case OP_FALLOCATE: op_fallocate(f, off, len, rnd(f) & 1); break;
        case OP_PUNCH: op_punch(f, off, len); break;
        case OP_MAPREAD: op_mapread(f, off, len); break;
        case OP_MAPWRITE: op_mapwrite(f, off, len); break;
        case OP_COPY_RANGE: op_copy_range(f, off, rnd_below(f, f->maxlen - len + 1), len); break;
        case OP_FSYNC:
                if (fsync(f->fd) < 0)
                        fail(f, "fsync: %m");
                break;
        case OP_REOPEN: reopen(f); break;
        default: break;
        }
        f->op_count[op]++;
}

static int parse_size(const char *s, size_t *ret) {
        char *end;
        unsigned long long v = strtoull(s, &end, 0);

        if (*end || v == 0 || v > (1ULL << 30))
                return -1;
        *ret = (size_t) v;
        return 0;
}

int main(int argc, char *argv[]) {
        struct fsx f = { .fd = -1, .maxlen = 256 * 1024, .maxop = 64 * 1024 };
        unsigned long ops = 10000, check_every = 1000, fault_at = 0;
        uint64_t seed = (uint64_t) time(NULL);
        struct timespec t0, t1;
        int c;

        while ((c = getopt(argc, argv, "N:S:l:o:c:F:")) >= 0)
                switch (c) {
                case 'N': ops = strtoul(optarg, NULL, 0); break;
                case 'S': seed = strtoull(optarg, NULL, 0); break;
                case 'c': check_every = strtoul(optarg, NULL, 0); break;
                case 'F': fault_at = strtoul(optarg, NULL, 0); break;
                case 'l': if (parse_size(optarg, &f.maxlen) < 0) return 2; break;
                case 'o': if (parse_size(optarg, &f.maxop) < 0) return 2; break;
                default:
                        fprintf(stderr, "usage: fsx [-N ops] [-S seed] [-l maxlen] [-o maxop] [-c checkevery] [-F op] FILE\n");
                        return 2;
                }
        if (optind + 1 != argc || f.maxop > f.maxlen) {
                fprintf(stderr, "usage: fsx [-N ops] [-S seed] [-l maxlen] [-o maxop] [-c checkevery] [-F op] FILE\n");
                return 2;
        }
        f.path = argv[optind];
        f.rng = seed ? seed : 1;
        f.model = calloc(1, f.maxlen);
        f.buf = malloc(f.maxlen);
        if (!f.model || !f.buf)
                return 2;
        /* Start from an empty file: the model starts empty. */
        if (unlink(f.path) < 0 && errno != ENOENT) {
                fprintf(stderr, "fsx: cannot remove %s: %m\n", f.path);
                return 1;
        }
        reopen(&f);
        fprintf(stderr, "fsx: %lu ops on %s, seed %" PRIu64 ", maxlen %zu, maxop %zu\n", ops, f.path, seed, f.maxlen, f.maxop);

        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (f.n = 0; f.n < ops; f.n++) {
                step(&f);
                if (fault_at && f.n == fault_at) {
                        inject_fault(&f);
                        check_all(&f);
                }
                if (check_every && f.n % check_every == check_every - 1)
                        check_all(&f);
        }
        check_all(&f);
        reopen(&f);
        check_all(&f);
        clock_gettime(CLOCK_MONOTONIC, &t1);

        fprintf(stderr, "fsx: %lu ops passed in %.1f s:", ops,
                (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9);
        for (int i = 0; i < OP_COUNT; i++)
                fprintf(stderr, " %s %lu", op_names[i], f.op_count[i]);
        fprintf(stderr, "\n");
        close(f.fd);
        free(f.model);
        free(f.buf);
        return 0;
}
