/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What is measured. Data cases run fio job files (jobs/NAME.fio); metadata
 * cases are timed here with *at() calls; the tree cases time tar and rm;
 * the latency cases time homefsctl deactivate/unlock against the real home. */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define DATA_CFGS (1U << CFG_NATIVE | 1U << CFG_PASSTHROUGH | 1U << CFG_NOPASSTHROUGH | 1U << CFG_GOCRYPTFS)
#define COLD_CFGS (1U << CFG_NATIVE | 1U << CFG_HOME)

const struct case_info cases[_CASE_MAX] = {
        [CASE_SEQREAD] = { "seqread", "seq read 1 MiB, hot", "MiB/s", true, DATA_CFGS, ">= 0.95x" },
        [CASE_SEQWRITE] = { "seqwrite", "seq write 1 MiB + fsync", "MiB/s", true, DATA_CFGS, ">= 0.95x" },
        [CASE_RANDREAD] = { "randread", "rand read 4 KiB, hot", "IOPS", true, DATA_CFGS, ">= 0.90x" },
        [CASE_RANDWRITE] = { "randwrite", "rand write 4 KiB", "IOPS", true, DATA_CFGS, ">= 0.90x" },
        [CASE_CREATE] = { "create", "create files (one dir)", "s", false, DATA_CFGS, "<= 4x time" },
        [CASE_STAT] = { "stat", "stat files, warm dcache", "s", false, DATA_CFGS, "<= 2x time" },
        [CASE_UNLINK] = { "unlink", "unlink files", "s", false, DATA_CFGS, "-" },
        [CASE_UNTAR] = { "untar", "untar small-file tree", "s", false, DATA_CFGS, "<= 4x time" },
        [CASE_RMTREE] = { "rmtree", "rm -rf of that tree", "s", false, DATA_CFGS, "-" },
        [CASE_COLD_SEQREAD] = { "coldseq", "cold seq read 1 MiB (crypto engine)", "MiB/s", true, COLD_CFGS,
                                ">= 0.70x of plain loop" },
        [CASE_COLD_RANDREAD] = { "coldrand", "cold rand read 4 KiB (crypto engine)", "IOPS", true, COLD_CFGS, "-" },
        [CASE_ACTIVATE] = { "activate", "activate (PBKDF ~0: pbkdf2, 1000 it.)", "ms", false, 1U << CFG_HOME, "<= 300 ms" },
        [CASE_DEACTIVATE] = { "deactivate", "deactivate", "ms", false, 1U << CFG_HOME, "<= 500 ms" },
        [CASE_LOCK] = { "lock", "lock, sessions kept", "ms", false, 1U << CFG_HOME, "-" },
        [CASE_RESUME] = { "resume", "unlock of a locked home (PBKDF ~0)", "ms", false, 1U << CFG_HOME, "-" },
};

static bool prepared[_CFG_MAX];
static char tarball[PATH_MAX];

/* Runs a job file on dir; returns MiB/s or IOPS of the job's direction. */
static double fio(const char *job, const char *dir, uint64_t size, bool iops) {
        char jobfile[PATH_MAX], e_dir[PATH_MAX + 16], e_size[48], e_rt[48], out[8192];
        char *const argv[] = { "fio", "--output-format=terse", "--terse-version=3", jobfile, NULL };
        char *const env[] = { e_dir, e_size, e_rt, NULL };
        char *f, *save = NULL;
        double bw_r = 0, bw_w = 0, io_r = 0, io_w = 0;
        int k = 1;

        snprintf(jobfile, sizeof(jobfile), "%s/%s.fio", opt.jobs_dir, job);
        snprintf(e_dir, sizeof(e_dir), "BENCH_DIR=%s", dir);
        snprintf(e_size, sizeof(e_size), "BENCH_SIZE=%llu", (unsigned long long) size);
        snprintf(e_rt, sizeof(e_rt), "BENCH_RUNTIME=%u", opt.runtime);
        if (run_argv(argv, env, NULL, out, sizeof(out)) != 0) {
                fprintf(stderr, "homefs-bench: fio %s in %s failed\n", job, dir);
                return NAN;
        }
        /* Terse v3: field 7 read KiB/s, 8 read IOPS, 48 write KiB/s, 49 write IOPS. */
        for (f = strtok_r(out, ";", &save); f; f = strtok_r(NULL, ";", &save), k++)
                switch (k) {
                case 7: bw_r = atof(f); break;
                case 8: io_r = atof(f); break;
                case 48: bw_w = atof(f); break;
                case 49: io_w = atof(f); break;
                }
        if (iops)
                return io_r + io_w;
        return (bw_r + bw_w) / 1024.0;
}

static int unlink_in(const char *dir, const char *name) {
        char p[PATH_MAX];

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        return unlink(p) < 0 && errno != ENOENT ? -errno : 0;
}

/* The tree: tree_files small files (100 to 4 KiB) in directories of 100. */
static int tree_make(void) {
        char src[PATH_MAX];

        snprintf(src, sizeof(src), "%s/tree-src", work_dir);
        snprintf(tarball, sizeof(tarball), "%s/tree.tar", work_dir);
        for (unsigned k = 0; k < opt.tree_files; k++) {
                char p[PATH_MAX + 32], buf[4096];
                size_t n = 100 + (k * 2654435761U) % 3996;
                int fd;

                if (k % 100 == 0) {
                        snprintf(p, sizeof(p), "%s/d%03u", src, k / 100);
                        if (run_sh("mkdir -p '%s'", p) != 0)
                                return -EIO;
                }
                snprintf(p, sizeof(p), "%s/d%03u/f%05u.txt", src, k / 100, k);
                fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0)
                        return -errno;
                memset(buf, 'a' + (int) (k % 26), n);
                if (write(fd, buf, n) != (ssize_t) n) {
                        close(fd);
                        return -EIO;
                }
                close(fd);
        }
        return run_sh("tar -C '%s' -cf '%s' . && rm -rf '%s'", src, tarball, src) == 0 ? 0 : -EIO;
}

int cases_prepare(void) {
        return tree_make();
}

/* First use of a configuration: lay the data files out and warm them. */
static void config_prepare(enum config c) {
        const char *dir = configs[c].dir;

        if (prepared[c])
                return;
        prepared[c] = true;
        if (DATA_CFGS & (1U << c))
                (void) fio("seqread", dir, opt.file_size, false);
        if (COLD_CFGS & (1U << c))
                (void) fio("coldseq", dir, opt.file_size, false);
}

typedef double (*meta_fn)(int dfd, unsigned n);

static double meta_create(int dfd, unsigned n) {
        for (unsigned k = 0; k < n; k++) {
                char name[16];
                int fd;

                snprintf(name, sizeof(name), "f%u", k);
                fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                if (fd < 0)
                        return NAN;
                close(fd);
        }
        return 0;
}

static double meta_stat(int dfd, unsigned n) {
        struct stat st;

        for (unsigned k = 0; k < n; k++) {
                char name[16];

                snprintf(name, sizeof(name), "f%u", k);
                if (fstatat(dfd, name, &st, 0) < 0)
                        return NAN;
        }
        return 0;
}

static double meta_unlink(int dfd, unsigned n) {
        for (unsigned k = 0; k < n; k++) {
                char name[16];

                snprintf(name, sizeof(name), "f%u", k);
                if (unlinkat(dfd, name, 0) < 0)
                        return NAN;
        }
        return 0;
}

static double timed_meta(meta_fn fn, int dfd) {
        double t = now();

        return isnan(fn(dfd, opt.n_files)) ? NAN : now() - t;
}

static void meta_cases(enum config c, double val[], double cpu[]) {
        static const struct { enum bench_case id; meta_fn fn; } phases[] = {
                { CASE_CREATE, meta_create }, { CASE_STAT, meta_stat }, { CASE_UNLINK, meta_unlink },
        };
        char dir[PATH_MAX + 8];
        int dfd;

        snprintf(dir, sizeof(dir), "%s/meta", configs[c].dir);
        if (mkdir(dir, 0755) < 0 || (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                return;
        for (size_t k = 0; k < sizeof(phases) / sizeof(phases[0]); k++) {
                double c0 = config_cpu(&configs[c]);

                val[phases[k].id] = timed_meta(phases[k].fn, dfd);
                cpu[phases[k].id] = config_cpu(&configs[c]) - c0;
        }
        close(dfd);
        rmdir(dir);
}

static void tree_cases(enum config c, double val[], double cpu[]) {
        char dir[PATH_MAX + 8];
        double t, c0;

        snprintf(dir, sizeof(dir), "%s/tree", configs[c].dir);
        if (mkdir(dir, 0755) < 0)
                return;
        c0 = config_cpu(&configs[c]);
        t = now();
        if (run_sh("tar -C '%s' -xf '%s'", dir, tarball) == 0)
                val[CASE_UNTAR] = now() - t;
        cpu[CASE_UNTAR] = config_cpu(&configs[c]) - c0;
        c0 = config_cpu(&configs[c]);
        t = now();
        if (run_sh("rm -rf '%s'", dir) == 0)
                val[CASE_RMTREE] = now() - t;
        cpu[CASE_RMTREE] = config_cpu(&configs[c]) - c0;
}

static void fio_case(enum config c, enum bench_case k, const char *job, bool iops, bool cold,
                     double val[], double cpu[]) {
        double c0;

        if (cold)
                (void) drop_caches();
        c0 = config_cpu(&configs[c]);
        val[k] = fio(job, configs[c].dir, opt.file_size, iops);
        cpu[k] = config_cpu(&configs[c]) - c0;
}

static void latency_cases(double val[]) {
        double ms;

        if (home_deactivate(&ms) == 0)
                val[CASE_DEACTIVATE] = ms;
        if (home_unlock(&ms) == 0)
                val[CASE_ACTIVATE] = ms;
        if (home_lock(&ms) == 0)
                val[CASE_LOCK] = ms;
        if (home_unlock(&ms) == 0)
                val[CASE_RESUME] = ms;
}

void cases_run(enum config c, double val[_CASE_MAX], double cpu[_CASE_MAX]) {
        for (size_t k = 0; k < _CASE_MAX; k++)
                val[k] = cpu[k] = NAN;
        config_prepare(c);
        if (DATA_CFGS & (1U << c)) {
                fio_case(c, CASE_SEQREAD, "seqread", false, false, val, cpu);
                fio_case(c, CASE_RANDREAD, "randread", true, false, val, cpu);
                fio_case(c, CASE_RANDWRITE, "randwrite", true, false, val, cpu);
                (void) unlink_in(configs[c].dir, "seqw.dat");
                fio_case(c, CASE_SEQWRITE, "seqwrite", false, false, val, cpu);
                meta_cases(c, val, cpu);
                tree_cases(c, val, cpu);
        }
        if (COLD_CFGS & (1U << c)) {
                fio_case(c, CASE_COLD_SEQREAD, "coldseq", false, true, val, cpu);
                fio_case(c, CASE_COLD_RANDREAD, "coldrand", true, true, val, cpu);
        }
        if (c == CFG_HOME)
                latency_cases(val);
}
