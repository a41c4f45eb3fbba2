/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* homefsd USER: the FUSE front of one home, mounted at the home path. It
 * starts locked and registers with homefs-agent, which attaches and detaches
 * the backing directory (front-agent.c). See docs and fs/front.h. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <linux/securebits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "front.h"
#include "log.h"
#include "macro.h"
#include "parse-util.h"
#include "secret.h"
#include "uring.h"
#include "wake-local.h"

static unsigned arg_debug;
static unsigned arg_threads = 10;
static const char *arg_attach_dir;
static const char *arg_mountpoint;
static bool arg_no_agent;
static bool arg_passthrough = true;
static bool arg_io_uring = true;
static bool arg_local_wake = true;
static const char *arg_stats_file;
static const char *arg_user;


static void help(void) {
        printf("Usage: homefsd [OPTIONS] USER\n"
               "\n"
               "The FUSE front of USER's homefs home, mounted at the home directory.\n"
               "Locked until homefs-agent attaches the decrypted home.\n"
               "\n"
               "  -h --help             Show this help\n"
               "     --version          Show the version\n"
               "  -d --debug            Debug logging (twice: also libfuse's request trace)\n"
               "  -f --foreground       Accepted for compatibility; homefsd never forks\n"
               "     --threads=N        At most N worker threads (default 10)\n"
               "     --no-passthrough   Serve file data in homefsd, not by kernel passthrough\n"
               "     --io-uring         Take requests through FUSE over io_uring where the\n"
               "                        kernel offers it, else /dev/fuse (the default)\n"
               "     --no-io-uring      Take requests through /dev/fuse only\n"
               "     --no-local-wake    Always answer io_uring requests at normal priority\n"
               "                        (by default at idle priority while callers hop CPUs\n"
               "                        and nothing else runs, which keeps a caller on its\n"
               "                        CPU; see homefsd(8))\n"
               "     --stats-file=PATH  Write request counters to PATH on SIGRTMIN+1 and at exit\n"
               "\n"
               "For tests and benchmarks only:\n"
               "     --attach-dir=DIR   Serve DIR at once, without an agent\n"
               "     --mountpoint=PATH  Mount at PATH instead of USER's home directory\n"
               "     --no-agent         Do not register with the agent (stays inactive)\n"
               "  Signals as test hooks: SIGUSR1 detaches (locks) as the agent's Detach\n"
               "  would; SIGUSR2 attaches the --attach-dir again.\n"
               "  SIGTERM, SIGINT: detach, unmount and exit.\n");
}

static int parse_args(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_THREADS, ARG_ATTACH_DIR, ARG_MOUNTPOINT, ARG_NO_AGENT,
               ARG_NO_PASSTHROUGH, ARG_STATS_FILE, ARG_IO_URING, ARG_NO_IO_URING,
               ARG_NO_LOCAL_WAKE };
        static const struct option options[] = {
                { "help",       no_argument,       NULL, 'h' },
                { "version",    no_argument,       NULL, ARG_VERSION },
                { "debug",      no_argument,       NULL, 'd' },
                { "foreground", no_argument,       NULL, 'f' },
                { "threads",    required_argument, NULL, ARG_THREADS },
                { "attach-dir", required_argument, NULL, ARG_ATTACH_DIR },
                { "mountpoint", required_argument, NULL, ARG_MOUNTPOINT },
                { "no-agent",   no_argument,       NULL, ARG_NO_AGENT },
                { "no-passthrough", no_argument,   NULL, ARG_NO_PASSTHROUGH },
                { "stats-file", required_argument, NULL, ARG_STATS_FILE },
                { "io-uring",   no_argument,       NULL, ARG_IO_URING },
                { "no-io-uring", no_argument,      NULL, ARG_NO_IO_URING },
                { "no-local-wake", no_argument,    NULL, ARG_NO_LOCAL_WAKE },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "hdf", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("homefsd %s\n", HOMEFS_VERSION);
                        return 0;
                case 'd':
                        arg_debug++;
                        break;
                case 'f':
                        break;
                case ARG_THREADS: {
                        unsigned n;

                        if (safe_atou(optarg, &n) < 0 || n < 1 || n > 1024) {
                                log_error("invalid --threads: %s", optarg);
                                return -EINVAL;
                        }
                        arg_threads = n;
                        break;
                }
                case ARG_ATTACH_DIR:
                        arg_attach_dir = optarg;
                        break;
                case ARG_MOUNTPOINT:
                        arg_mountpoint = optarg;
                        break;
                case ARG_NO_AGENT:
                        arg_no_agent = true;
                        break;
                case ARG_NO_PASSTHROUGH:
                        arg_passthrough = false;
                        break;
                case ARG_IO_URING:
                        arg_io_uring = true;
                        break;
                case ARG_NO_IO_URING:
                        arg_io_uring = false;
                        break;
                case ARG_NO_LOCAL_WAKE:
                        arg_local_wake = false;
                        break;
                case ARG_STATS_FILE:
                        arg_stats_file = optarg;
                        break;
                default:
                        return -EINVAL;
                }

        if (optind + 1 != argc) {
                log_error("expected exactly one argument, the user name; see --help");
                return -EINVAL;
        }
        arg_user = argv[optind];
        return 1;
}

/* Inodes are referenced by file handle and only a bounded cache of them
 * holds an O_PATH fd (fs/fdcache.c, half the limit), so the limit bounds
 * open files, not cached ones. Raise it to the kernel's maximum, or where
 * that is not allowed (no CAP_SYS_RESOURCE) to the hard limit. */
static void fd_limit_raise(void) {
        struct rlimit rl;
        unsigned long max = 0;
        FILE *f = fopen("/proc/sys/fs/nr_open", "re");

        if (f) {
                if (fscanf(f, "%lu", &max) != 1)
                        max = 0;
                fclose(f);
        }
        if (max > 0 && setrlimit(RLIMIT_NOFILE, &(struct rlimit) { max, max }) == 0)
                return;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return;
        rl.rlim_cur = rl.rlim_max;
        (void) setrlimit(RLIMIT_NOFILE, &rl);
}

/* Run as root with every capability, but switch fsuid/fsgid per request:
 * keep the capabilities over that switch (else the kernel drops the
 * file system capabilities as soon as fsuid is not 0), drop root's
 * supplementary groups, and create files with exactly the mode the kernel
 * sends (it has applied the caller's umask already). */
static int process_setup(void) {
        secret_process_harden();
        fd_limit_raise();
        umask(0);
        if (setgroups(0, NULL) < 0)
                return log_error_errno(errno, "cannot drop supplementary groups: %m");
        if (prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED) < 0)
                return log_error_errno(errno, "cannot set SECBIT_NO_SETUID_FIXUP (not root?): %m");
        return 0;
}

static int attach_dir_open(void) {
        int fd = open(arg_attach_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return log_error_errno(errno, "cannot open %s: %m", arg_attach_dir);
        return front_attach(fd);
}

static void wake_handler(int sig) {
        /* Only interrupts the main thread's wait in the FUSE loop. */
}

static void control_sigset(sigset_t *set) {
        sigemptyset(set);
        sigaddset(set, SIGTERM);
        sigaddset(set, SIGINT);
        sigaddset(set, SIGHUP);
        sigaddset(set, SIGUSR1);
        sigaddset(set, SIGUSR2);
        sigaddset(set, SIGRTMIN + 1);
}

static void *signal_thread(void *p) {
        sigset_t set;

        control_sigset(&set);
        for (;;) {
                int sig = sigwaitinfo(&set, NULL);

                if (sig == SIGUSR1)
                        (void) front_detach();
                else if (sig == SIGUSR2 && arg_attach_dir)
                        (void) attach_dir_open();
                else if (sig == SIGUSR2)
                        log_warning("SIGUSR2 ignored: no --attach-dir");
                else if (sig == SIGRTMIN + 1 && arg_stats_file)
                        (void) stats_write(arg_stats_file);
                else if (sig == SIGRTMIN + 1)
                        log_warning("SIGRTMIN+1 ignored: no --stats-file");
                else if (sig > 0) {
                        log_info("signal %s: unmounting", strsignal(sig));
                        front_request_exit(EXIT_SUCCESS);
                        return NULL;
                }
        }
}

static int signals_setup(void) {
        struct sigaction sa = { .sa_handler = wake_handler };
        sigset_t set;

        control_sigset(&set);
        if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 ||
            sigaction(SIGRTMIN, &sa, NULL) < 0)
                return log_error_errno(errno, "cannot set up signals: %m");
        return 0;
}

static int start_thread(void *(*fn)(void *)) {
        pthread_t t;
        int r = pthread_create(&t, NULL, fn, NULL);

        if (r != 0)
                return log_error_errno(r, "cannot start a thread: %m");
        pthread_detach(t);
        return 0;
}

static struct fuse_session *session_new(void) {
        char opts[256];
        const char *argv[] = { "homefsd", "-o", opts, "-d" };
        struct fuse_args args = FUSE_ARGS_INIT(arg_debug > 1 ? 4 : 3, (char **) argv);
        struct fuse_session *se;

        /* fuse_opt separates with ',' and escapes with '\'. */
        if (strpbrk(arg_user, ",\\")) {
                log_error("unsupported user name: %s", arg_user);
                return NULL;
        }
        snprintf(opts, sizeof(opts),
                 "allow_other,default_permissions,nosuid,nodev,fsname=homefs:%s,subtype=homefs%s", arg_user,
                 uring_session_options(arg_io_uring));
        se = fuse_session_new(&args, &front_ops, sizeof(front_ops), NULL);
        fuse_opt_free_args(&args); /* the session may have copied them */
        return se;
}

static int run(void) {
        _cleanup_close_ int target_fd = -1;
        const struct passwd *pw;
        const char *mountpoint;
        struct fuse_session *se;
        char dev[32];
        uint64_t mnt_id = 0;
        int fuse_fd, r;

        errno = 0;
        pw = getpwnam(arg_user);
        if (!pw)
                return log_error_errno(errno ?: ENOENT, "unknown user %s: %m", arg_user);
        front.uid = pw->pw_uid;
        front.gid = pw->pw_gid;
        mountpoint = arg_mountpoint ?: pw->pw_dir;

        fdcache_init();
        if (inode_table_init() < 0)
                return log_error_errno(ENOMEM, "out of memory");
        gate_init();
        if (arg_attach_dir && (r = attach_dir_open()) < 0)
                return r;

        target_fd = mountpoint_open(mountpoint);
        if (target_fd < 0)
                return target_fd;
        r = signals_setup();
        if (r < 0)
                return r;

        se = session_new();
        if (!se)
                return log_error_errno(EINVAL, "cannot create the FUSE session");
        front.se = se;
        fuse_fd = fuse_mount_at(target_fd, arg_user, &mnt_id);
        if (fuse_fd < 0) {
                fuse_session_destroy(se);
                return log_error_errno(fuse_fd, "cannot mount on %s", mountpoint);
        }
        target_fd = safe_close(target_fd);
        /* libfuse serves the mounted device fd, and closes it at destroy. */
        snprintf(dev, sizeof(dev), "/dev/fd/%d", fuse_fd);
        wake_local_allow(arg_local_wake);
        if (fuse_session_mount(se, dev) != 0 || passthrough_session(se, arg_passthrough) < 0 ||
            uring_session(se, arg_io_uring) < 0) {
                fuse_unmount_at(mountpoint, mnt_id, fuse_fd);
                fuse_session_destroy(se);
                return -EIO;
        }
        log_info("mounted on %s for %s, %s", mountpoint, arg_user,
                 arg_attach_dir ? "attached" : "inactive");

        front_loop_prepare();
        r = start_thread(signal_thread);
        if (r == 0 && !arg_attach_dir && !arg_no_agent) {
                r = agent_link_start(arg_user, mountpoint);
                if (r < 0)
                        log_error_errno(r, "cannot start the agent link: %m");
        }
        if (r == 0 && front_loop_run(se, arg_threads) != 0)
                r = -EIO;

        (void) front_detach();
        fuse_unmount_at(mountpoint, mnt_id, fuse_fd);
        uring_stop();
        fuse_session_destroy(se);
        inode_table_free();
        if (arg_stats_file)
                (void) stats_write(arg_stats_file);
        log_info("unmounted %s", mountpoint);
        return r;
}

int main(int argc, char *argv[]) {
        int r;

        log_setup("homefsd", LOG_LEVEL_INFO);
        r = parse_args(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        if (arg_debug)
                log_set_max_level(LOG_LEVEL_DEBUG);

        if (process_setup() < 0)
                return EXIT_FAILURE;
        r = run();
        if (r < 0)
                return EXIT_FAILURE;
        return front_exit_status();
}
