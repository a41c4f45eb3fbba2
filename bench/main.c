/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* homefs-bench [--quick] [--runs=N] [--out=DIR]: builds its own setup,
 * runs every case on every configuration N times (configurations
 * interleaved within a run, so drifts hit all alike), writes the report and
 * removes the setup again. Root only: loop devices, mounts, a user. */

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "parse-util.h"

struct options opt = { .runs = 3, .out_dir = "bench-results", .config_mask = ~0U, .case_mask = ~0ULL };
char work_dir[WORK_DIR_MAX];
static char build_dir[PATH_MAX];
static struct results results;

static void help(void) {
        printf("Usage: homefs-bench [OPTIONS]\n\n"
               "Measures homefs (kernel passthrough and not), gocryptfs and a real homefs home\n"
               "against native ext4, on loop devices it sets up and removes again.\n\n"
               "  -h --help          Show this help\n"
               "     --quick        Smoke test: small sizes, one run; fails unless every\n"
               "                    configuration ran every case\n"
               "     --runs=N       Runs per case (default 3)\n"
               "     --out=DIR      Where results.md, results.csv, ratios.png go (default ./bench-results)\n"
               "     --build-dir=D  The homefs build directory (default: this binary's ../)\n"
               "     --jobs-dir=D   The fio job files (default: the source tree's bench/jobs)\n"
               "     --keep         Keep the work directory (images) for inspection\n"
               "     --configs=LIST Only these configurations (ids: native,home,homefs,homefs-nopt,\n"
               "                    gocryptfs; native always runs)\n"
               "     --cases=LIST   Only these cases (ids as in results.csv)\n");
}

/* --configs= or --cases=: a comma-separated list of ids. */
static int parse_list(const char *arg, bool is_configs) {
        char buf[512], *save = NULL;

        snprintf(buf, sizeof(buf), "%s", arg);
        if (is_configs)
                opt.config_mask = 1U << CFG_NATIVE;
        else
                opt.case_mask = 0;
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                int k = -1;

                if (is_configs) {
                        for (enum config c = 0; c < _CFG_MAX; c++)
                                if (strcmp(configs[c].id, t) == 0)
                                        k = (int) c;
                } else
                        k = case_by_id(t);
                if (k < 0) {
                        fprintf(stderr, "homefs-bench: unknown %s '%s'\n", is_configs ? "configuration" : "case", t);
                        return -EINVAL;
                }
                if (is_configs)
                        opt.config_mask |= 1U << k;
                else
                        opt.case_mask |= 1ULL << k;
        }
        return 0;
}

static int parse_args(int argc, char *argv[]) {
        enum { ARG_QUICK = 0x100, ARG_RUNS, ARG_OUT, ARG_BUILD, ARG_JOBS, ARG_KEEP, ARG_CONFIGS, ARG_CASES };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "quick", no_argument, NULL, ARG_QUICK },
                { "runs", required_argument, NULL, ARG_RUNS },
                { "out", required_argument, NULL, ARG_OUT },
                { "build-dir", required_argument, NULL, ARG_BUILD },
                { "jobs-dir", required_argument, NULL, ARG_JOBS },
                { "keep", no_argument, NULL, ARG_KEEP },
                { "configs", required_argument, NULL, ARG_CONFIGS },
                { "cases", required_argument, NULL, ARG_CASES },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_QUICK:
                        opt.quick = true;
                        break;
                case ARG_RUNS:
                        if (safe_atou(optarg, &opt.runs) < 0 || opt.runs < 1 || opt.runs > MAX_RUNS) {
                                fprintf(stderr, "--runs must be 1..%d\n", MAX_RUNS);
                                return -EINVAL;
                        }
                        break;
                case ARG_OUT:
                        opt.out_dir = optarg;
                        break;
                case ARG_BUILD:
                        opt.build_dir = optarg;
                        break;
                case ARG_JOBS:
                        opt.jobs_dir = optarg;
                        break;
                case ARG_KEEP:
                        opt.keep = true;
                        break;
                case ARG_CONFIGS:
                        if (parse_list(optarg, true) < 0)
                                return -EINVAL;
                        break;
                case ARG_CASES:
                        if (parse_list(optarg, false) < 0)
                                return -EINVAL;
                        break;
                default:
                        return -EINVAL;
                }
        return 1;
}

static void defaults(void) {
        ssize_t n = readlink("/proc/self/exe", build_dir, sizeof(build_dir) - 1);

        if (!opt.build_dir && n > 0) {
                build_dir[n] = 0;
                /* .../build/bench/homefs-bench -> .../build */
                opt.build_dir = dirname(dirname(build_dir));
        }
        if (!opt.jobs_dir)
                opt.jobs_dir = BENCH_JOBS_DIR;
        if (opt.quick) {
                opt.runs = 1;
                opt.file_size = 64ULL << 20;
                opt.runtime = 1;
                opt.n_files = 500;
                opt.tree_files = 1000;
                opt.git_files = 300;
                opt.sql_txns = 20;
        } else {
                opt.file_size = 1ULL << 30;
                opt.runtime = 5;
                opt.n_files = 10000;
                /* Issue 14's scale: a front that needs an fd per cached
                 * inode fails here where the fd limit is 20,000. */
                opt.tree_files = 100000;
                /* A large repository that such a front still takes. */
                opt.git_files = 15000;
                opt.sql_txns = 500;
        }
}

static void on_signal(int sig) {
        /* Not async-signal-safe, but the alternative is leaving mounts and
         * loop devices behind; the main flow is stopped here for good. */
        cleanup_all();
        _exit(128 + sig);
}

static void run_all(void) {
        for (unsigned i = 0; i < opt.runs; i++)
                for (enum config c = 0; c < _CFG_MAX; c++) {
                        double val[_CASE_MAX], cpu[_CASE_MAX];

                        if (!configs[c].ready)
                                continue;
                        fprintf(stderr, "homefs-bench: run %u/%u: %s\n", i + 1, opt.runs, configs[c].id);
                        cases_run(c, val, cpu);
                        for (enum bench_case k = 0; k < _CASE_MAX; k++)
                                if (cases[k].configs & (1U << c)) {
                                        unsigned n = results.n[k][c]++;

                                        results.val[k][c][n] = val[k];
                                        results.cpu[k][c][n] = cpu[k];
                                }
                }
        results.pt_read = config_counter(CFG_PASSTHROUGH, "read");
        results.pt_write = config_counter(CFG_PASSTHROUGH, "write");
        results.pt_opens = config_counter(CFG_PASSTHROUGH, "open_passthrough");
        results.nopt_read = config_counter(CFG_NOPASSTHROUGH, "read");
        results.nopt_write = config_counter(CFG_NOPASSTHROUGH, "write");
}

/* Every configuration set up (gocryptfs: if installed), every case
 * measured, passthrough really on. */
static int check_complete(void) {
        int bad = 0;

        for (enum config c = 0; c < _CFG_MAX; c++) {
                if (configs[c].absent)
                        continue;
                if (!configs[c].ready) {
                        fprintf(stderr, "homefs-bench: %s did not run: %s\n", configs[c].id, configs[c].skip);
                        bad++;
                        continue;
                }
                for (enum bench_case k = 0; k < _CASE_MAX; k++)
                        if ((cases[k].configs & (1U << c)) && CASE_ON(k) &&
                            (results.n[k][c] == 0 || isnan(results.val[k][c][0]))) {
                                fprintf(stderr, "homefs-bench: %s: %s has no result\n", configs[c].id, cases[k].id);
                                bad++;
                        }
        }
        if (configs[CFG_PASSTHROUGH].ready &&
            (results.pt_read != 0 || results.pt_write != 0 || results.pt_opens <= 0)) {
                fprintf(stderr, "homefs-bench: passthrough not active: READ %lld WRITE %lld opens %lld\n",
                        results.pt_read, results.pt_write, results.pt_opens);
                bad++;
        }
        return bad ? -EIO : 0;
}

int main(int argc, char *argv[]) {
        struct sigaction sa = { .sa_handler = on_signal };
        int r;

        r = parse_args(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        defaults();
        /* In quick mode (the test suite) a missing facility is a skip (77). */
        if (geteuid() != 0) {
                fprintf(stderr, "homefs-bench: must run as root (loop devices, mounts, a user)\n");
                return opt.quick ? 77 : EXIT_FAILURE;
        }
        if (run_sh("command -v fio >/dev/null && command -v mkfs.ext4 >/dev/null && command -v git >/dev/null && "
                   "command -v sqlite3 >/dev/null && test -c /dev/fuse") != 0) {
                fprintf(stderr, "homefs-bench: needs fio, mkfs.ext4, git, sqlite3 and /dev/fuse: "
                        "apt-get install fio e2fsprogs git sqlite3 fuse3\n");
                return opt.quick ? 77 : EXIT_FAILURE;
        }
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);

        r = setup_all();
        if (r >= 0)
                r = cases_prepare();
        if (r >= 0) {
                run_all();
                r = report_write(&results);
                if (r >= 0)
                        fprintf(stderr, "homefs-bench: results in %s/results.md\n", opt.out_dir);
        }
        cleanup_all();
        if (r >= 0 && opt.quick)
                r = check_complete();
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
