/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* homefs-bench: measures homefs against native ext4 and its peers on this
 * machine, in one run. See bench/README.md.
 *
 * Files: main.c (options, the run, the passthrough proof), setup.c (images,
 * loop devices, daemons, the agent and a real home; cleanup), cases.c (what
 * is measured), run.c (processes, timing, CPU time), report.c (statistics,
 * Markdown, CSV, gnuplot). */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_RUNS 32
#define MAX_PIDS 4

enum config {
        CFG_NATIVE,        /* ext4 on a plain loop device */
        CFG_PASSTHROUGH,   /* homefsd --attach-dir over such an ext4 */
        CFG_NOPASSTHROUGH, /* the same with --no-passthrough */
        CFG_GOCRYPTFS,     /* gocryptfs over such an ext4, if installed */
        CFG_HOME,          /* a real home: agent, LUKS2, cryptdev, homefsd */
        _CFG_MAX,
};

/* Daemon footprint, the largest seen (sampled after the big trees). */
enum proc_kind { PROC_FRONT, PROC_ENGINE, _PROC_MAX };

struct config_state {
        const char *id;
        const char *title;
        char dir[PATH_MAX];   /* where the cases work */
        char stats[PATH_MAX]; /* homefsd --stats-file, or "" */
        pid_t pids[MAX_PIDS]; /* the daemons whose CPU time counts */
        size_t n_pids;
        bool ready;
        bool absent;    /* an optional peer that is not installed */
        char skip[128]; /* why not ready */
};

extern struct config_state configs[_CFG_MAX];

struct options {
        bool quick;
        bool keep;
        unsigned runs;
        const char *out_dir;
        const char *build_dir;
        const char *jobs_dir;
        uint64_t file_size;   /* fio files */
        unsigned runtime;     /* seconds per time-based fio job */
        unsigned n_files;     /* create/stat/unlink */
        unsigned tree_files;  /* untar / rm -rf */
        unsigned git_files;   /* the generated repository */
        unsigned sql_txns;    /* SQLite transactions */
        unsigned config_mask; /* --configs= (bits of enum config) */
        uint64_t case_mask;   /* --cases= (bits of enum bench_case) */
};

extern struct options opt;
#define WORK_DIR_MAX 64
extern char work_dir[WORK_DIR_MAX];

/* ---- run.c ---- */
double now(void);
/* Runs argv (NULL-terminated), stdin from /dev/null or in_file, stdout to
 * out (a buffer of out_size, NUL-terminated) or /dev/null; env entries are
 * added. Returns the exit status, or a negative errno. */
int run_argv(char *const argv[], char *const env[], const char *in_file, char *out, size_t out_size);
/* /bin/sh -c on a formatted command; output to stderr. */
int run_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Starts argv in the background; returns the pid or a negative errno. */
pid_t spawn_argv(char *const argv[], char *const env[], const char *log_file);
/* utime + stime of the configuration's daemons, in seconds. */
double config_cpu(const struct config_state *c);
/* Sends sig to pid and waits up to 5 s for it to exit (then SIGKILL). */
void stop_pid(pid_t pid, int sig);
int drop_caches(void);
/* How often the page cache was dropped since boot (drop_pagecache in
 * /proc/vmstat, by anyone), or -1. */
long page_cache_drops(void);
/* Reads /proc/PID/NAME into buf (NUL-terminated); its length, or -1. */
ssize_t proc_read(const char *pid, const char *name, char *buf, size_t size);

/* ---- setup.c ---- */
int setup_all(void);
void cleanup_all(void);
/* The real home: lock and unlock through the agent (homefsctl), timed in
 * milliseconds; pids refreshed after unlock. */
int home_deactivate(double *ms);
int home_lock(double *ms);
int home_unlock(double *ms);
/* The configuration's daemon of that kind (pids[] order: see setup.c), or 0. */
pid_t config_pid(enum config c, enum proc_kind k);
/* Reads one homefsd counter (SIGRTMIN+1 dump) of a configuration. */
long long config_counter(enum config c, const char *name);

/* ---- cases.c ---- */
enum bench_case {
        CASE_SEQREAD, CASE_SEQWRITE, CASE_RANDREAD, CASE_RANDWRITE,
        CASE_FSYNC_WRITE, CASE_SQLITE,
        CASE_CREATE, CASE_STAT, CASE_UNLINK,
        CASE_GIT_CLONE, CASE_GIT_STATUS,
        CASE_UNTAR, CASE_RMTREE,
        CASE_COLD_SEQREAD, CASE_COLD_RANDREAD,
        CASE_ACTIVATE, CASE_DEACTIVATE, CASE_LOCK, CASE_RESUME,
        _CASE_MAX,
};


struct footprint {
        long long rss_kib, hwm_kib, lck_kib, fds;
};

struct case_info {
        const char *id;
        const char *title;
        const char *unit;
        bool higher_better;
        unsigned configs; /* bit mask of enum config */
        const char *target; /* from the issue, for the report */
};

extern const struct case_info cases[_CASE_MAX];

/* The case's bit in opt.case_mask, by id; -1 if unknown. */
int case_by_id(const char *id);
#define CASE_ON(k) ((opt.case_mask >> (k)) & 1)
/* Prepares what every run of the cases needs (files, the tree tarball). */
int cases_prepare(void);
/* One run of a group of cases on a configuration: fills val[case]
 * (NAN where not measured) and cpu[case]. */
void cases_run(enum config c, double val[_CASE_MAX], double cpu[_CASE_MAX]);
/* The largest footprint seen per configuration and process kind (homefsd
 * or gocryptfs; homefs-cryptdev). */
extern struct footprint footprints[_CFG_MAX][_PROC_MAX];

/* ---- report.c ---- */
struct results {
        double val[_CASE_MAX][_CFG_MAX][MAX_RUNS];
        double cpu[_CASE_MAX][_CFG_MAX][MAX_RUNS];
        unsigned n[_CASE_MAX][_CFG_MAX];
        long long pt_read, pt_write, nopt_read, nopt_write, pt_opens;
};

int report_write(const struct results *r);
