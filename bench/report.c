/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Statistics and output: results.md (medians with min/max and ratios to
 * native in the same run), results.csv (every run), ratios.png (gnuplot). */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct summary {
        double med, min, max, cpu;
        unsigned n;
};

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

static double median_of(const double *v, unsigned n) {
        double s[MAX_RUNS];
        unsigned m = 0;

        for (unsigned k = 0; k < n; k++)
                if (!isnan(v[k]))
                        s[m++] = v[k];
        if (m == 0)
                return NAN;
        qsort(s, m, sizeof(double), cmp_double);
        return m % 2 ? s[m / 2] : (s[m / 2 - 1] + s[m / 2]) / 2;
}

static struct summary summarize(const struct results *r, enum bench_case k, enum config c) {
        struct summary s = { .med = NAN, .min = NAN, .max = NAN, .cpu = NAN };

        for (unsigned i = 0; i < r->n[k][c]; i++) {
                double v = r->val[k][c][i];

                if (isnan(v))
                        continue;
                s.min = isnan(s.min) || v < s.min ? v : s.min;
                s.max = isnan(s.max) || v > s.max ? v : s.max;
                s.n++;
        }
        s.med = median_of(r->val[k][c], r->n[k][c]);
        s.cpu = median_of(r->cpu[k][c], r->n[k][c]);
        return s;
}

/* Columns: the home users get first, then the reference, then the rest. */
static const enum config order[_CFG_MAX] = {
        CFG_HOME, CFG_NATIVE, CFG_PASSTHROUGH, CFG_NOPASSTHROUGH, CFG_GOCRYPTFS,
};

/* Ratio to native, oriented as the targets: throughput as a
 * fraction of native's, times as a multiple of native's. */
static double ratio(const struct results *r, enum bench_case k, enum config c) {
        struct summary s = summarize(r, k, c), n = summarize(r, k, CFG_NATIVE);

        if (c == CFG_NATIVE || isnan(s.med) || isnan(n.med) || n.med == 0)
                return NAN;
        return s.med / n.med;
}

/* Speed relative to native, every case the same way up: 1 is native,
 * higher is better (times inverted). */
static double speed(const struct results *r, enum bench_case k, enum config c) {
        double q = ratio(r, k, c);

        return cases[k].higher_better || isnan(q) || q == 0 ? q : 1 / q;
}

/* A configuration that ran but got no result for a case it should have. */
static bool failed(const struct results *r, enum bench_case k, enum config c) {
        return configs[c].ready && (cases[k].configs & (1U << c)) && CASE_ON(k) && r->n[k][c] > 0 &&
               summarize(r, k, c).n < r->n[k][c];
}

static void fmt_num(char *buf, size_t size, double v) {
        if (isnan(v))
                snprintf(buf, size, "-");
        else if (fabs(v) >= 100)
                snprintf(buf, size, "%.0f", v);
        else if (fabs(v) >= 1)
                snprintf(buf, size, "%.2f", v);
        else
                snprintf(buf, size, "%.3f", v);
}

static void md_table(FILE *f, const struct results *r) {
        fprintf(f, "| case | unit | target |");
        for (size_t i = 0; i < _CFG_MAX; i++)
                fprintf(f, " %s |", configs[order[i]].title);
        fprintf(f, "\n|---|---|---|");
        for (size_t i = 0; i < _CFG_MAX; i++)
                fprintf(f, "---|");
        fprintf(f, "\n");
        for (enum bench_case k = 0; k < _CASE_MAX; k++) {
                fprintf(f, "| %s | %s | %s |", cases[k].title, cases[k].unit, cases[k].target);
                for (size_t i = 0; i < _CFG_MAX; i++) {
                        enum config c = order[i];
                        struct summary s = summarize(r, k, c);
                        char med[32], lo[32], hi[32];
                        double q = ratio(r, k, c);

                        if (!(cases[k].configs & (1U << c)) || s.n == 0) {
                                fprintf(f, failed(r, k, c) ? " **fails** |" : " |");
                                continue;
                        }
                        fmt_num(med, sizeof(med), s.med);
                        fmt_num(lo, sizeof(lo), s.min);
                        fmt_num(hi, sizeof(hi), s.max);
                        fprintf(f, " %s (%s–%s)", med, lo, hi);
                        if (!isnan(q))
                                fprintf(f, " **%.2f×**", q);
                        if (failed(r, k, c))
                                fprintf(f, " (failed %u of %u)", r->n[k][c] - s.n, r->n[k][c]);
                        fprintf(f, " |");
                }
                fprintf(f, "\n");
        }
}

static void md_cpu(FILE *f, const struct results *r) {
        fprintf(f, "\nCPU seconds of the daemons (homefsd; gocryptfs; homefsd + homefs-cryptdev), median per run:\n\n");
        fprintf(f, "| case |");
        for (size_t i = 0; i < _CFG_MAX; i++)
                if (order[i] != CFG_NATIVE)
                        fprintf(f, " %s |", configs[order[i]].title);
        fprintf(f, "\n|---|");
        for (size_t i = 1; i < _CFG_MAX; i++)
                fprintf(f, "---|");
        fprintf(f, "\n");
        for (enum bench_case k = 0; k < CASE_ACTIVATE; k++) {
                fprintf(f, "| %s |", cases[k].title);
                for (size_t i = 0; i < _CFG_MAX; i++) {
                        enum config c = order[i];
                        if (c == CFG_NATIVE || !configs[c].ready)
                                continue;
                        struct summary s = summarize(r, k, c);
                        char v[32];

                        fmt_num(v, sizeof(v), s.cpu);
                        fprintf(f, " %s |", (cases[k].configs & (1U << c)) && s.n ? v : "");
                }
                fprintf(f, "\n");
        }
}

static void md_footprint(FILE *f) {
        static const char *const kind[_PROC_MAX] = { "front (homefsd / gocryptfs)", "engine (homefs-cryptdev)" };

        fprintf(f, "\nDaemon footprint, the largest seen (after git clone, untar and each run), MiB and fds:\n\n"
                "| configuration | process | RSS | peak RSS (VmHWM) | locked (VmLck) | open fds |\n"
                "|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < _CFG_MAX; i++)
                for (enum proc_kind k = 0; k < _PROC_MAX; k++) {
                        const struct footprint *m = &footprints[order[i]][k];

                        if (m->fds <= 0)
                                continue;
                        fprintf(f, "| %s | %s | %.1f | %.1f | %.1f | %lld |\n", configs[order[i]].title, kind[k],
                                m->rss_kib / 1024.0, m->hwm_kib / 1024.0, m->lck_kib / 1024.0, m->fds);
                }
}

static int write_md(const char *path, const struct results *r) {
        FILE *f = fopen(path, "we");

        if (!f)
                return -errno;
        fprintf(f, "# homefs-bench results\n\n");
        fprintf(f, "Medians of %u run(s), (min–max), **ratio to native ext4 measured in the same run** "
                "(throughput: fraction of native; times: multiple of native's time). Mode: %s; "
                "fio file %llu MiB, %u s per time-based job, %u files, tree of %u files, repository of %u files, "
                "%u SQLite transactions. Native: ext4 on a loop device with direct I/O.\n\n",
                opt.runs, opt.quick ? "quick (smoke test, figures not meaningful)" : "full",
                (unsigned long long) (opt.file_size >> 20), opt.runtime, opt.n_files, opt.tree_files,
                opt.git_files, opt.sql_txns);
        md_table(f, r);
        md_cpu(f, r);
        md_footprint(f);
        fprintf(f, "\nPassthrough proof (homefsd's own counters over the whole run): "
                "homefs (passthrough): READ %lld, WRITE %lld requests, %lld passthrough opens; "
                "homefs (no passthrough): READ %lld, WRITE %lld requests.\n",
                r->pt_read, r->pt_write, r->pt_opens, r->nopt_read, r->nopt_write);
        for (enum config c = 0; c < _CFG_MAX; c++)
                if (!configs[c].ready)
                        fprintf(f, "\n%s: not measured: %s\n", configs[c].title, configs[c].skip);
        return fclose(f) == 0 ? 0 : -errno;
}

static int write_csv(const char *path, const struct results *r) {
        FILE *f = fopen(path, "we");

        if (!f)
                return -errno;
        fprintf(f, "case,unit,config,run,value,daemon_cpu_s\n");
        for (enum bench_case k = 0; k < _CASE_MAX; k++)
                for (enum config c = 0; c < _CFG_MAX; c++)
                        for (unsigned i = 0; i < r->n[k][c]; i++)
                                if (!isnan(r->val[k][c][i]))
                                        fprintf(f, "%s,%s,%s,%u,%.6g,%.6g\n", cases[k].id, cases[k].unit,
                                                configs[c].id, i, r->val[k][c][i], r->cpu[k][c][i]);
        return fclose(f) == 0 ? 0 : -errno;
}

/* ratios.dat: one row per case that has ratios, one column per config. */
static int write_plot(const char *dir, const struct results *r) {
        char dat[PATH_MAX], gp[PATH_MAX], png[PATH_MAX];
        int n_plotted = 0;
        FILE *f;

        snprintf(dat, sizeof(dat), "%s/ratios.dat", dir);
        snprintf(gp, sizeof(gp), "%s/ratios.gp", dir);
        snprintf(png, sizeof(png), "%s/ratios.png", dir);
        f = fopen(dat, "we");
        if (!f)
                return -errno;
        fprintf(f, "case");
        for (size_t i = 0; i < _CFG_MAX; i++)
                if (order[i] != CFG_NATIVE && configs[order[i]].ready) {
                        fprintf(f, " \"%s\"", configs[order[i]].title);
                        n_plotted++;
                }
        fprintf(f, "\n");
        for (enum bench_case k = 0; k < CASE_ACTIVATE; k++) {
                fprintf(f, "%s", cases[k].id);
                for (size_t i = 0; i < _CFG_MAX; i++) {
                        enum config c = order[i];
                        double q = speed(r, k, c);

                        if (c == CFG_NATIVE || !configs[c].ready)
                                continue;

                        fprintf(f, isnan(q) ? " NaN" : " %.4f", q);
                }
                fprintf(f, "\n");
        }
        if (fclose(f) != 0)
                return -errno;
        f = fopen(gp, "we");
        if (!f)
                return -errno;
        fprintf(f, "set terminal pngcairo size 1200,600 noenhanced\nset output '%s'\n"
                "set title 'homefs-bench: speed relative to native ext4 (1 = native, higher is better; times inverted)'\n"
                "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8\n"
                "set logscale y 2\nset yrange [0.01:8]\nset grid y\nset xtics rotate by -30\nset key outside right\n"
                "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2\n"
                "plot for [i=2:%d] '%s' using i:xtic(1) title columnheader(i)\n",
                png, 1 + n_plotted, dat);
        if (fclose(f) != 0)
                return -errno;
        if (run_sh("command -v gnuplot >/dev/null") != 0) {
                fprintf(stderr, "homefs-bench: gnuplot is missing (apt-get install gnuplot-nox): no plot\n");
                return 0;
        }
        return run_sh("gnuplot '%s'", gp) == 0 ? 0 : -EIO;
}

int report_write(const struct results *r) {
        char p[PATH_MAX];
        int r1, r2, r3;

        if (run_sh("mkdir -p '%s'", opt.out_dir) != 0)
                return -EIO;
        snprintf(p, sizeof(p), "%s/results.md", opt.out_dir);
        r1 = write_md(p, r);
        snprintf(p, sizeof(p), "%s/results.csv", opt.out_dir);
        r2 = write_csv(p, r);
        r3 = write_plot(opt.out_dir, r);
        return r1 < 0 ? r1 : r2 < 0 ? r2 : r3;
}
