/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What is measured. Data cases run fio job files (jobs/NAME.fio); metadata
 * cases are timed here with *at() calls; the tree cases time tar and rm, the
 * git cases a local clone and status of a generated repository, the SQLite
 * case sqlite3 committing one row per transaction; the latency cases time
 * homefsctl deactivate/unlock and lock/unlock against the real home. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define DATA_CFGS (1U << CFG_NATIVE | 1U << CFG_PASSTHROUGH | 1U << CFG_NOPASSTHROUGH | 1U << CFG_GOCRYPTFS | \
                   1U << CFG_HOME)
/* The big trees take minutes on the slow configurations: not on the
 * no-passthrough front, which only tells about data. */
#define TREE_CFGS (DATA_CFGS & ~(1U << CFG_NOPASSTHROUGH))
#define COLD_CFGS (1U << CFG_NATIVE | 1U << CFG_HOME)

const struct case_info cases[_CASE_MAX] = {
        [CASE_SEQREAD] = { "seqread", "seq read 1 MiB, hot", "MiB/s", true, DATA_CFGS, ">= 0.95x" },
        [CASE_SEQWRITE] = { "seqwrite", "seq write 1 MiB + fsync", "MiB/s", true, DATA_CFGS, ">= 0.95x" },
        [CASE_RANDREAD] = { "randread", "rand read 4 KiB, hot", "IOPS", true, DATA_CFGS, ">= 0.90x" },
        [CASE_RANDWRITE] = { "randwrite", "rand write 4 KiB", "IOPS", true, DATA_CFGS, ">= 0.80x" },
        [CASE_FSYNC_WRITE] = { "fsyncwrite", "rand write 4 KiB + fsync each", "IOPS", true, DATA_CFGS, ">= 0.50x" },
        [CASE_SQLITE] = { "sqlite", "SQLite: 1 insert per transaction", "txn/s", true, DATA_CFGS, "-" },
        [CASE_CREATE] = { "create", "create files (one dir)", "s", false, DATA_CFGS, "<= 3x time" },
        [CASE_STAT] = { "stat", "stat files, warm dcache", "s", false, DATA_CFGS, "-" },
        [CASE_UNLINK] = { "unlink", "unlink files", "s", false, DATA_CFGS, "<= 3x time" },
        [CASE_GIT_CLONE] = { "gitclone", "git clone (local) of the repository", "s", false, TREE_CFGS,
                             "<= 2.5x time" },
        [CASE_GIT_STATUS] = { "gitstatus", "git status in the clone", "s", false, TREE_CFGS, "<= 2x time" },
        [CASE_UNTAR] = { "untar", "untar small-file tree", "s", false, TREE_CFGS, "<= 4x time" },
        [CASE_RMTREE] = { "rmtree", "rm -rf of that tree", "s", false, TREE_CFGS, "-" },
        [CASE_COLD_SEQREAD] = { "coldseq", "cold seq read 1 MiB (vs plain loop)", "MiB/s", true, COLD_CFGS,
                                ">= 0.70x" },
        [CASE_COLD_RANDREAD] = { "coldrand", "cold rand read 4 KiB (vs plain loop)", "IOPS", true, COLD_CFGS, "-" },
        [CASE_ACTIVATE] = { "activate", "activate (PBKDF ~0: pbkdf2, 1000 it.)", "ms", false, 1U << CFG_HOME, "<= 300 ms" },
        [CASE_DEACTIVATE] = { "deactivate", "deactivate", "ms", false, 1U << CFG_HOME, "<= 500 ms" },
        [CASE_LOCK] = { "lock", "lock, sessions kept", "ms", false, 1U << CFG_HOME, "-" },
        [CASE_RESUME] = { "resume", "unlock of a locked home (PBKDF ~0)", "ms", false, 1U << CFG_HOME, "-" },
};

int case_by_id(const char *id) {
        for (int k = 0; k < _CASE_MAX; k++)
                if (strcmp(cases[k].id, id) == 0)
                        return k;
        return -1;
}

struct footprint footprints[_CFG_MAX][_PROC_MAX];
static bool prepared[_CFG_MAX];
static char tarball[PATH_MAX], git_src[PATH_MAX], sql_script[PATH_MAX];

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

/* n small files (100 to 4 KiB) in directories of 100 below src. */
static int files_make(const char *src, unsigned n_files) {
        for (unsigned k = 0; k < n_files; k++) {
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
        return 0;
}

/* The tree for untar, as a tarball. */
static int tree_make(void) {
        char src[PATH_MAX];
        int r;

        snprintf(src, sizeof(src), "%s/tree-src", work_dir);
        snprintf(tarball, sizeof(tarball), "%s/tree.tar", work_dir);
        r = files_make(src, opt.tree_files);
        if (r < 0)
                return r;
        return run_sh("tar -C '%s' -cf '%s' . && rm -rf '%s'", src, tarball, src) == 0 ? 0 : -EIO;
}

/* A repository of git_files files in one commit, to clone from, packed as
 * a repository that came from a remote is. Its objects are packed here and
 * now: left to itself, the commit's automatic gc packs them in the
 * background, so the configurations measured first would copy 15,000 loose
 * objects and the later ones one pack (or fail when gc deletes an object
 * mid-copy), and that gc's CPU would fall into other cases' timings. */
static int git_make(void) {
        int r;

        snprintf(git_src, sizeof(git_src), "%s/git-src", work_dir);
        r = files_make(git_src, opt.git_files);
        if (r < 0)
                return r;
        return run_sh("cd '%s' && git init -q && git config gc.auto 0 && git add -A && "
                      "git -c user.name=bench -c user.email=bench@localhost commit -q -m tree && "
                      "git gc -q",
                      git_src) == 0 ? 0 : -EIO;
}

/* SQL for sqlite3: one row per transaction (autocommit), rollback journal
 * and synchronous=FULL (SQLite's defaults): each commit fsyncs the journal
 * and the database. */
static int sql_make(void) {
        FILE *f;

        snprintf(sql_script, sizeof(sql_script), "%s/bench.sql", work_dir);
        f = fopen(sql_script, "we");
        if (!f)
                return -errno;
        fprintf(f, "PRAGMA journal_mode=DELETE;\nPRAGMA synchronous=FULL;\n"
                "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);\n");
        for (unsigned k = 0; k < opt.sql_txns; k++)
                fprintf(f, "INSERT INTO t(v) VALUES(randomblob(%u));\n", 100 + (k * 2654435761U) % 1900);
        return fclose(f) == 0 ? 0 : -errno;
}

int cases_prepare(void) {
        int r = CASE_ON(CASE_UNTAR) ? tree_make() : 0;

        if (r >= 0 && CASE_ON(CASE_GIT_CLONE))
                r = git_make();
        if (r >= 0 && CASE_ON(CASE_SQLITE))
                r = sql_make();
        return r;
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

                if (!CASE_ON(phases[k].id))
                        continue;
                val[phases[k].id] = timed_meta(phases[k].fn, dfd);
                cpu[phases[k].id] = config_cpu(&configs[c]) - c0;
        }
        close(dfd);
        rmdir(dir);
}

static long long status_kib(const char *status, const char *key) {
        const char *p = strstr(status, key);

        return p ? atoll(p + strlen(key)) : -1;
}

/* Keeps the largest RSS, peak RSS, locked memory and fd count seen. */
static void footprint_sample(enum config c) {
        for (enum proc_kind k = 0; k < _PROC_MAX; k++) {
                struct footprint *m = &footprints[c][k];
                char path[64], id[16], status[4096];
                pid_t pid = config_pid(c, k);
                long long fds = 0;
                DIR *d;

                snprintf(id, sizeof(id), "%d", (int) pid);
                if (pid <= 0 || proc_read(id, "status", status, sizeof(status)) <= 0)
                        continue;
                snprintf(path, sizeof(path), "/proc/%d/fd", (int) pid);
                d = opendir(path);
                if (d) {
                        while (readdir(d))
                                fds++;
                        closedir(d);
                        fds -= 2;
                }
                m->rss_kib = MAX(m->rss_kib, status_kib(status, "VmRSS:"));
                m->hwm_kib = MAX(m->hwm_kib, status_kib(status, "VmHWM:"));
                m->lck_kib = MAX(m->lck_kib, status_kib(status, "VmLck:"));
                m->fds = MAX(m->fds, fds);
        }
}

/* Times a shell command into val[k], the daemons' CPU into cpu[k]; false if
 * it failed. */
static bool __attribute__((format(printf, 5, 6)))
timed_sh(enum config c, enum bench_case k, double val[], double cpu[], const char *fmt, ...) {
        char cmd[4 * PATH_MAX];
        double c0, t;
        va_list ap;
        bool ok;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        c0 = config_cpu(&configs[c]);
        t = now();
        ok = run_sh("%s", cmd) == 0;
        if (ok)
                val[k] = now() - t;
        cpu[k] = config_cpu(&configs[c]) - c0;
        return ok;
}

/* Removes dir; where that fails (a front out of file descriptors), drops
 * the kernel's caches (which makes it forget its inodes) and tries again. */
static void remove_tree(const char *dir) {
        if (run_sh("rm -rf '%s' 2>/dev/null", dir) == 0)
                return;
        (void) drop_caches();
        if (run_sh("rm -rf '%s'", dir) != 0)
                fprintf(stderr, "homefs-bench: cannot remove %s\n", dir);
}

static void tree_cases(enum config c, double val[], double cpu[]) {
        char dir[PATH_MAX + 8];

        if (!CASE_ON(CASE_UNTAR))
                return;
        snprintf(dir, sizeof(dir), "%s/tree", configs[c].dir);
        if (mkdir(dir, 0755) < 0)
                return;
        if (!timed_sh(c, CASE_UNTAR, val, cpu, "tar -C '%s' -xf '%s'", dir, tarball)) {
                fprintf(stderr, "homefs-bench: %s: untar of %u files failed\n", configs[c].id, opt.tree_files);
                remove_tree(dir);
                return;
        }
        footprint_sample(c);
        if (!timed_sh(c, CASE_RMTREE, val, cpu, "rm -rf '%s'", dir))
                remove_tree(dir);
}

/* git status twice: files written in the same second as the index are
 * "racily clean", and every status reads them again until one rewrites
 * the index after that second; so the untimed first status runs a second
 * after the clone, and the timed one is what users see on a tree at rest
 * (else native, whose clone is fast, paid that reading in some runs and
 * not in others: 0.03-0.19 s). */
static void git_cases(enum config c, double val[], double cpu[]) {
        char dir[PATH_MAX + 8];

        if (!CASE_ON(CASE_GIT_CLONE))
                return;
        snprintf(dir, sizeof(dir), "%s/clone", configs[c].dir);
        if (timed_sh(c, CASE_GIT_CLONE, val, cpu, "git clone -q --no-hardlinks '%s' '%s'", git_src, dir)) {
                (void) run_sh("sleep 1.1 && git -C '%s' status --porcelain >/dev/null", dir);
                if (!timed_sh(c, CASE_GIT_STATUS, val, cpu, "git -C '%s' status --porcelain >/dev/null", dir))
                        fprintf(stderr, "homefs-bench: %s: git status failed\n", configs[c].id);
                footprint_sample(c);
        } else
                fprintf(stderr, "homefs-bench: %s: git clone of %u files failed\n", configs[c].id, opt.git_files);
        remove_tree(dir);
}

static void sqlite_case(enum config c, double val[], double cpu[]) {
        char db[PATH_MAX + 16];

        if (!CASE_ON(CASE_SQLITE))
                return;
        snprintf(db, sizeof(db), "%s/bench.db", configs[c].dir);
        (void) unlink_in(configs[c].dir, "bench.db");
        if (timed_sh(c, CASE_SQLITE, val, cpu, "sqlite3 '%s' <'%s' >/dev/null", db, sql_script))
                val[CASE_SQLITE] = opt.sql_txns / val[CASE_SQLITE];
        (void) unlink_in(configs[c].dir, "bench.db");
}

#define COLD_ATTEMPTS 3

static void fio_case(enum config c, enum bench_case k, const char *job, bool iops, bool cold,
                     double val[], double cpu[]) {
        if (!CASE_ON(k))
                return;
        for (int attempt = 1;; attempt++) {
                long drops = -1;
                double c0;

                if (cold) {
                        (void) drop_caches();
                        drops = page_cache_drops();
                }
                c0 = config_cpu(&configs[c]);
                val[k] = fio(job, configs[c].dir, opt.file_size, iops);
                cpu[k] = config_cpu(&configs[c]) - c0;
                /* Another process (another bench on a shared machine)
                 * dropping the page cache in the middle of a cold read
                 * throws its readahead away: the data is read twice. */
                if (drops < 0 || page_cache_drops() == drops)
                        return;
                fprintf(stderr, "homefs-bench: %s: %s: the page cache was dropped by someone else during the read%s\n",
                        configs[c].id, cases[k].id, attempt < COLD_ATTEMPTS ? ", running it again" : "; keeping it");
                if (attempt == COLD_ATTEMPTS)
                        return;
        }
}

static void latency_cases(double val[]) {
        double ms;

        if (!CASE_ON(CASE_ACTIVATE) && !CASE_ON(CASE_DEACTIVATE) && !CASE_ON(CASE_LOCK) && !CASE_ON(CASE_RESUME))
                return;
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
                /* hot: in the page cache (the cold cases of the last run
                 * dropped it) */
                (void) run_sh("cat '%s/seq.dat' >/dev/null", configs[c].dir);
                fio_case(c, CASE_SEQREAD, "seqread", false, false, val, cpu);
                fio_case(c, CASE_RANDREAD, "randread", true, false, val, cpu);
                fio_case(c, CASE_RANDWRITE, "randwrite", true, false, val, cpu);
                sync(); /* not the random writes' dirty pages in the first fsync */
                (void) unlink_in(configs[c].dir, "seqw.dat");
                fio_case(c, CASE_FSYNC_WRITE, "randwrite-fsync", true, false, val, cpu);
                fio_case(c, CASE_SEQWRITE, "seqwrite", false, false, val, cpu);
                (void) unlink_in(configs[c].dir, "seqw.dat");
                sqlite_case(c, val, cpu);
                meta_cases(c, val, cpu);
        }
        if (TREE_CFGS & (1U << c)) {
                git_cases(c, val, cpu);
                tree_cases(c, val, cpu);
        }
        footprint_sample(c);
        if (COLD_CFGS & (1U << c)) {
                fio_case(c, CASE_COLD_SEQREAD, "coldseq", false, true, val, cpu);
                fio_case(c, CASE_COLD_RANDREAD, "coldrand", true, true, val, cpu);
        }
        if (c == CFG_HOME)
                latency_cases(val);
}
