/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bench's own world, all below one work directory: sparse ext4 images
 * on loop devices, homefsd fronts over two of them, gocryptfs over a third,
 * and a real home (an isolated homefs-agent, a temporary user, LUKS2,
 * homefs-cryptdev). cleanup_all() undoes everything, also after a failure. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "parse-util.h"

#define MAX_LOOPS 8
/* Sparse; the quick run's are small so that mkfs is quick. */
#define IMAGE_SIZE (opt.quick ? 1ULL << 30 : 8ULL << 30)

struct config_state configs[_CFG_MAX] = {
        [CFG_NATIVE] = { .id = "native", .title = "native ext4" },
        [CFG_PASSTHROUGH] = { .id = "homefs", .title = "homefs (passthrough)" },
        [CFG_NOPASSTHROUGH] = { .id = "homefs-nopt", .title = "homefs (no passthrough)" },
        [CFG_GOCRYPTFS] = { .id = "gocryptfs", .title = "gocryptfs" },
        [CFG_HOME] = { .id = "home", .title = "homefs home (LUKS2 + cryptdev)" },
};

static char loops[MAX_LOOPS][64];
static size_t n_loops;
static pid_t agent_pid;
static char user[32];
static char env_state[300], env_runtime[300];
static char *const agent_env[] = { env_state, env_runtime, NULL };

/* buf must be an array. */
#define path_of(buf, name) snprintf(buf, sizeof(buf), "%s/%s", work_dir, name)

static int wait_mounted(const char *path) {
        char parent[PATH_MAX + 4];
        struct stat a, b;

        snprintf(parent, sizeof(parent), "%s/..", path);
        for (int k = 0; k < 200; k++) {
                if (stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev)
                        return 0;
                usleep(25 * 1000);
        }
        fprintf(stderr, "homefs-bench: %s did not get mounted\n", path);
        return -ETIMEDOUT;
}

/* A sparse image of size bytes with ext4, on a loop device with direct I/O
 * (closest to a disk: a buffered loop makes fsync look slow and flatters
 * every layer above it), mounted at mnt. */
static int ext4_loop(const char *name, uint64_t size, const char *mnt) {
        char img[256], out[64] = "";
        int r;

        if (n_loops >= MAX_LOOPS)
                return -ENOSPC;
        snprintf(img, sizeof(img), "%s/%s.img", work_dir, name);
        if (run_sh("truncate -s %llu '%s' && mkfs.ext4 -q -F '%s'", (unsigned long long) size, img, img) != 0)
                return -EIO;
        {
                char *const argv[] = { "losetup", "--direct-io=on", "-f", "--show", img, NULL };

                r = run_argv(argv, NULL, NULL, out, sizeof(out));
        }
        out[strcspn(out, "\n")] = 0;
        if (r != 0 || strncmp(out, "/dev/loop", 9) != 0)
                return -EIO;
        snprintf(loops[n_loops++], sizeof(loops[0]), "%s", out);
        if (run_sh("mkdir -p '%s' && mount '%s' '%s'", mnt, out, mnt) != 0)
                return -EIO;
        return 0;
}

/* The cases work in DIR/b of each configuration. */
static int work_subdir(struct config_state *s, const char *mnt) {
        snprintf(s->dir, sizeof(s->dir), "%s/b", mnt);
        return mkdir(s->dir, 0755) < 0 ? -errno : 0;
}

/* Starts a FUSE daemon that mounts mnt; its CPU time counts for s. */
static int daemon_start(struct config_state *s, char *const argv[], const char *log, const char *mnt) {
        pid_t pid = spawn_argv(argv, NULL, log);
        int r;

        if (pid < 0)
                return pid;
        s->pids[s->n_pids++] = pid;
        r = wait_mounted(mnt);
        return r < 0 ? r : work_subdir(s, mnt);
}

static int front_start(enum config c, bool passthrough) {
        struct config_state *s = &configs[c];
        char back[200], mnt[256], home[256], log[256], homefsd[256];
        char a_attach[300], a_mnt[300], a_stats[300];
        char *const argv[] = { homefsd, a_attach, a_mnt, a_stats, "--threads=16", "root",
                               passthrough ? NULL : "--no-passthrough", NULL };
        int r;

        snprintf(homefsd, sizeof(homefsd), "%s/fs/homefsd", opt.build_dir);
        snprintf(back, sizeof(back), "%s/%s-back", work_dir, s->id);
        snprintf(mnt, sizeof(mnt), "%s/%s", work_dir, s->id);
        snprintf(home, sizeof(home), "%s/home", back);
        snprintf(log, sizeof(log), "%s/%s.log", work_dir, s->id);
        snprintf(s->stats, sizeof(s->stats), "%s/%s.stats", work_dir, s->id);
        r = ext4_loop(s->id, IMAGE_SIZE, back);
        if (r < 0)
                return r;
        if (mkdir(home, 0755) < 0 || mkdir(mnt, 0755) < 0)
                return -errno;
        snprintf(a_attach, sizeof(a_attach), "--attach-dir=%s", home);
        snprintf(a_mnt, sizeof(a_mnt), "--mountpoint=%s", mnt);
        snprintf(a_stats, sizeof(a_stats), "--stats-file=%s", s->stats);
        return daemon_start(s, argv, log, mnt);
}

static int native_start(void) {
        struct config_state *s = &configs[CFG_NATIVE];
        char mnt[256];
        int r;

        path_of(mnt, "native");
        r = ext4_loop("native", IMAGE_SIZE, mnt);
        return r < 0 ? r : work_subdir(s, mnt);
}

static int gocryptfs_start(void) {
        struct config_state *s = &configs[CFG_GOCRYPTFS];
        char back[200], cipher[256], mnt[256], pass[256], log[256];
        char *const argv[] = { "gocryptfs", "-fg", "-q", "-passfile", pass, cipher, mnt, NULL };
        int r;

        if (run_sh("command -v gocryptfs >/dev/null") != 0) {
                snprintf(s->skip, sizeof(s->skip), "gocryptfs is not installed (apt-get install gocryptfs)");
                s->absent = true;
                return 0;
        }
        path_of(back, "gocryptfs-back");
        path_of(mnt, "gocryptfs");
        path_of(pass, "gocryptfs.pass");
        path_of(log, "gocryptfs.log");
        snprintf(cipher, sizeof(cipher), "%s/cipher", back);
        r = ext4_loop("gocryptfs", IMAGE_SIZE, back);
        if (r < 0)
                return r;
        /* A throwaway password for a throwaway file system. */
        if (run_sh("echo bench >'%s' && mkdir '%s' '%s' && gocryptfs -init -q -scryptn 10 -passfile '%s' '%s' >>'%s' 2>&1",
                   pass, cipher, mnt, pass, cipher, log) != 0)
                return -EIO;
        return daemon_start(s, argv, log, mnt);
}

/* homefsd and homefs-cryptdev of our agent: their environment names our
 * runtime directory. */
static void home_find_pids(void) {
        struct config_state *s = &configs[CFG_HOME];
        DIR *d = opendir("/proc");
        struct dirent *e;

        s->n_pids = 0;
        if (!d)
                return;
        while ((e = readdir(d)) && s->n_pids < MAX_PIDS) {
                char comm[32], env[8192];
                ssize_t n;
                pid_t pid;

                if (parse_pid(e->d_name, &pid) < 0)
                        continue;
                if (proc_read(e->d_name, "comm", comm, sizeof(comm)) <= 0 ||
                    (strncmp(comm, "homefsd", 7) != 0 && strncmp(comm, "homefs-cryptdev", 15) != 0))
                        continue;
                n = proc_read(e->d_name, "environ", env, sizeof(env));
                if (n <= 0)
                        continue;
                for (ssize_t k = 0; k < n; k += (ssize_t) strlen(env + k) + 1)
                        if (strcmp(env + k, env_runtime) == 0) {
                                s->pids[s->n_pids++] = pid;
                                break;
                        }
        }
        closedir(d);
}

static int ctl(const char *verb, const char *in_file, const char *extra1, const char *extra2,
               const char *extra3, const char *extra4, const char *extra5) {
        char ctl_path[256];
        char *const argv[] = { ctl_path, (char *) verb, user, (char *) extra1, (char *) extra2,
                               (char *) extra3, (char *) extra4, (char *) extra5, NULL };

        snprintf(ctl_path, sizeof(ctl_path), "%s/admin/homefsctl", opt.build_dir);
        return run_argv(argv, agent_env, in_file, NULL, 0);
}

int home_unlock(double *ms) {
        char pass[256];
        double t;
        int r;

        path_of(pass, "home.pass");
        t = now();
        r = ctl("unlock", pass, NULL, NULL, NULL, NULL, NULL);
        *ms = (now() - t) * 1000;
        home_find_pids();
        return r == 0 ? 0 : -EIO;
}

static int timed_ctl(const char *verb, double *ms) {
        double t = now();
        int r = ctl(verb, NULL, NULL, NULL, NULL, NULL, NULL);

        *ms = (now() - t) * 1000;
        return r == 0 ? 0 : -EIO;
}

int home_deactivate(double *ms) {
        return timed_ctl("deactivate", ms);
}

/* Lock with sessions kept: the home stays mounted, the key goes. */
int home_lock(double *ms) {
        return timed_ctl("lock", ms);
}

static int agent_start(void) {
        char agent[256], a_homefsd[300], a_cryptdev[300], log[256], sock[256];
        char *const argv[] = { agent, "--activation=userspace", a_homefsd, a_cryptdev, NULL };

        snprintf(env_state, sizeof(env_state), "HOMEFS_STATE_DIR=%s/state", work_dir);
        snprintf(env_runtime, sizeof(env_runtime), "HOMEFS_RUNTIME_DIR=%s/run", work_dir);
        snprintf(agent, sizeof(agent), "%s/keyagent/homefs-agent", opt.build_dir);
        snprintf(a_homefsd, sizeof(a_homefsd), "--homefsd=%s/fs/homefsd", opt.build_dir);
        snprintf(a_cryptdev, sizeof(a_cryptdev), "--cryptdev=%s/cryptdev/homefs-cryptdev", opt.build_dir);
        path_of(log, "agent.log");
        path_of(sock, "run/agent.sock");
        agent_pid = spawn_argv(argv, agent_env, log);
        if (agent_pid < 0)
                return agent_pid;
        for (int k = 0; k < 100; k++) {
                if (access(sock, F_OK) == 0)
                        return 0;
                usleep(50 * 1000);
        }
        fprintf(stderr, "homefs-bench: the agent did not start, see %s\n", log);
        return -ETIMEDOUT;
}

static int home_start(void) {
        struct config_state *s = &configs[CFG_HOME];
        char pass[256], a_dir[300], a_img[300], mnt[300];
        char a_size[32];
        double ms;
        int r;

        r = agent_start();
        if (r < 0)
                return r;
        /* homefsctl create makes the user; cleanup_all() removes it. */
        snprintf(user, sizeof(user), "hfbench%d", (int) getpid());
        path_of(pass, "home.pass");
        /* A throwaway password, in a file only root can read. */
        if (run_sh("umask 077 && echo bench-home-pass >'%s'", pass) != 0)
                return -EIO;
        snprintf(a_dir, sizeof(a_dir), "--home-dir=%s/home/%s", work_dir, user);
        snprintf(a_img, sizeof(a_img), "--image-path=%s/%s.home", work_dir, user);
        snprintf(a_size, sizeof(a_size), "--disk-size=%s", opt.quick ? "512M" : "8G");
        if (run_sh("mkdir -p '%s/home'", work_dir) != 0 ||
            ctl("create", pass, a_dir, a_img, a_size, "--luks-pbkdf-type=pbkdf2",
                "--luks-pbkdf-force-iterations=1000") != 0) {
                fprintf(stderr, "homefs-bench: cannot create the bench home, see %s/agent.log\n", work_dir);
                return -EIO;
        }
        r = home_unlock(&ms);
        if (r < 0)
                return r;
        snprintf(mnt, sizeof(mnt), "%s/home/%s", work_dir, user);
        return work_subdir(s, mnt);
}

pid_t config_pid(enum config c, enum proc_kind k) {
        const struct config_state *s = &configs[c];

        for (size_t i = 0; i < s->n_pids; i++) {
                char pid[16], comm[32];
                bool engine;

                snprintf(pid, sizeof(pid), "%d", (int) s->pids[i]);
                if (proc_read(pid, "comm", comm, sizeof(comm)) <= 0)
                        continue;
                engine = strncmp(comm, "homefs-cryptdev", 15) == 0;
                if (engine == (k == PROC_ENGINE))
                        return s->pids[i];
        }
        return 0;
}

long long config_counter(enum config c, const char *name) {
        const struct config_state *s = &configs[c];
        char line[128];
        long long v = -1;
        FILE *f;

        if (!s->ready || !s->stats[0])
                return -1;
        unlink(s->stats);
        kill(s->pids[0], SIGRTMIN + 1);
        for (int k = 0; k < 100 && access(s->stats, F_OK) < 0; k++)
                usleep(20 * 1000);
        f = fopen(s->stats, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f)) {
                char n[64];
                long long x;

                if (sscanf(line, "%63s %lld", n, &x) == 2 && strcmp(n, name) == 0)
                        v = x;
        }
        fclose(f);
        return v;
}

static void config_setup(enum config c, int r) {
        struct config_state *s = &configs[c];

        if (r < 0 && !s->skip[0])
                snprintf(s->skip, sizeof(s->skip), "setup failed: %s", strerror(-r));
        s->ready = r >= 0 && !s->skip[0];
        fprintf(stderr, "homefs-bench: %-12s %s%s\n", s->id, s->ready ? "ready" : "skipped: ", s->ready ? "" : s->skip);
}

int setup_all(void) {
        snprintf(work_dir, sizeof(work_dir), "/var/tmp/homefs-bench.XXXXXX");
        if (!mkdtemp(work_dir))
                return -errno;
        chmod(work_dir, 0755);
        config_setup(CFG_NATIVE, native_start());
        if (opt.config_mask & 1U << CFG_PASSTHROUGH)
                config_setup(CFG_PASSTHROUGH, front_start(CFG_PASSTHROUGH, true));
        if (opt.config_mask & 1U << CFG_NOPASSTHROUGH)
                config_setup(CFG_NOPASSTHROUGH, front_start(CFG_NOPASSTHROUGH, false));
        if (opt.config_mask & 1U << CFG_GOCRYPTFS)
                config_setup(CFG_GOCRYPTFS, gocryptfs_start());
        if (opt.config_mask & 1U << CFG_HOME)
                config_setup(CFG_HOME, home_start());
        for (enum config c = 0; c < _CFG_MAX; c++)
                if (!(opt.config_mask & 1U << c)) {
                        snprintf(configs[c].skip, sizeof(configs[c].skip), "not asked for (--configs=)");
                        configs[c].absent = true;
                }
        return configs[CFG_NATIVE].ready ? 0 : -EIO;
}

/* Kills what our agent started: processes whose environment names our
 * runtime directory. */
static void kill_agent_children(void) {
        home_find_pids();
        for (size_t k = 0; k < configs[CFG_HOME].n_pids; k++)
                stop_pid(configs[CFG_HOME].pids[k], SIGKILL);
        configs[CFG_HOME].n_pids = 0;
}

void cleanup_all(void) {
        double ms;

        if (!work_dir[0])
                return;
        if (configs[CFG_HOME].ready)
                (void) home_deactivate(&ms);
        for (enum config c = 0; c < _CFG_MAX; c++)
                if (c != CFG_HOME)
                        for (size_t k = 0; k < configs[c].n_pids; k++)
                                stop_pid(configs[c].pids[k], SIGTERM);
        stop_pid(agent_pid, SIGTERM);
        if (env_runtime[0])
                kill_agent_children();
        /* Mounts below the work directory, deepest first, then loops. */
        run_sh("awk -v t='%s/' 'index($2, t) == 1 { print $2 }' /proc/self/mounts | sort -r | "
               "while read -r m; do umount -l \"$m\"; done", work_dir);
        for (size_t k = 0; k < n_loops; k++)
                run_sh("losetup -d %s 2>/dev/null", loops[k]);
        run_sh("for l in $(losetup -a | grep -F '%s/' | cut -d: -f1); do losetup -d $l; done", work_dir);
        if (user[0])
                /* userdel refuses while a process of the user still exits */
                run_sh("for i in $(seq 50); do userdel %s 2>/dev/null && break; "
                       "id %s >/dev/null 2>&1 || break; sleep 0.1; done; "
                       "getent group %s >/dev/null && groupdel %s", user, user, user, user);
        if (opt.keep)
                fprintf(stderr, "homefs-bench: kept %s\n", work_dir);
        else
                run_sh("rm -rf '%s'", work_dir);
        work_dir[0] = 0;
}
