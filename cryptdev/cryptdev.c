/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* homefs-cryptdev: a userspace stand-in for dm-crypt on kernels without
 * device-mapper. A one-file FUSE filesystem (cryptdev-fs.c): MOUNTPOINT/volume
 * is the decrypted data segment of a LUKS2 image (aes-xts-plain64), and the
 * agent attaches a loop device to it.
 *
 * The daemon sits below the page cache of the filesystem it serves, so its
 * own I/O must never wait for memory whose reclaim waits on it. Hence: the
 * image is opened O_DIRECT, everything is mlockall()ed, every buffer is
 * allocated before the mount, and all worker threads exist before the first
 * request (libfuse's fuse_session_loop_mt() spawns threads on demand).
 *
 * Only non-secret parameters come in argv; the 64-byte volume key is read
 * from an inherited fd: the agent's control socket, over which it later
 * wipes and gives back the key (cryptdev-key.c), or a pipe or file read to
 * end of file. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cryptdev.h"
#include "log.h"
#include "macro.h"
#include "parse-util.h"
#include "secret.h"

#ifndef PR_SET_IO_FLUSHER
#define PR_SET_IO_FLUSHER 57
#endif

#define FUSE_HEADER_ROOM 4096      /* libfuse's FUSE_BUFFER_HEADER_SIZE */
#define FUSE_MAX_MAX_PAGES 256     /* libfuse read()s up to this many pages + header */
#define THREADS_DEFAULT 4
#define THREADS_MAX 64
#define THREAD_STACK (256 * 1024)  /* locked by mlockall, so keep it small */
#define INIT_TIMEOUT_SEC 10
#define FSNAME "homefs-cryptdev"

/* ---- arguments ---- */

static void help(void) {
        printf("Usage: homefs-cryptdev --image=PATH --offset=BYTES --size=BYTES\n"
               "                       --sector-size=BYTES --iv-tweak=N [--key-fd=FD]\n"
               "                       [--ready-fd=FD] [--threads=N] [--discard=yes|no]\n"
               "                       MOUNTPOINT\n\n"
               "Serves the decrypted aes-xts-plain64 data segment of a LUKS2 image as\n"
               "MOUNTPOINT/volume. The 64-byte volume key is read from FD (default 3):\n"
               "the first message of a SOCK_SEQPACKET socket, which then stays the\n"
               "agent's control channel (wipe and hold, give back, fail), or a pipe or\n"
               "file to end of file; one byte is written to the ready FD once serving.\n"
               "--discard=yes punches discarded ranges out of the image. SIGUSR1 grows\n"
               "the volume to the end of the image after the image file has grown.\n");
}

static int parse_fd(const char *s, int *ret) {
        uint64_t v;

        if (safe_atou64(s, &v) < 0 || v > INT32_MAX)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

static int options_check(const struct options *o) {
        uint32_t ss = o->sector_size;

        if (!o->image || !o->mountpoint)
                return log_error_errno(EINVAL, "--image= and a mount point are required");
        if (ss < XTS_SECTOR_MIN || ss > XTS_SECTOR_MAX || (ss & (ss - 1)) != 0)
                return log_error_errno(EINVAL, "sector size %" PRIu32 " is not 512, 1024, 2048 or 4096", ss);
        if (o->size == 0 || o->size % ss != 0 || o->offset % ss != 0)
                return log_error_errno(EINVAL, "--offset= and --size= must be non-zero multiples of the sector size");
        if (o->offset > UINT64_MAX - o->size || o->offset + o->size > (uint64_t) INT64_MAX)
                return log_error_errno(EINVAL, "--offset= plus --size= is too large");
        if (o->threads < 1 || o->threads > THREADS_MAX)
                return log_error_errno(EINVAL, "--threads= must be from 1 to %d", THREADS_MAX);
        if (o->key_fd < 0 || o->key_fd == o->ready_fd || o->key_fd <= STDERR_FILENO ||
            o->ready_fd == STDIN_FILENO || (o->ready_fd >= 0 && o->ready_fd <= STDERR_FILENO))
                return log_error_errno(EINVAL, "bad --key-fd= or --ready-fd=");
        return 0;
}

static int parse_args(int argc, char **argv, struct options *o) {
        enum { ARG_IMAGE = 0x100, ARG_OFFSET, ARG_SIZE, ARG_SECTOR, ARG_TWEAK, ARG_KEYFD, ARG_READYFD, ARG_THREADS,
               ARG_DISCARD };
        static const struct option longopts[] = {
                { "help", no_argument, NULL, 'h' },
                { "image", required_argument, NULL, ARG_IMAGE },
                { "offset", required_argument, NULL, ARG_OFFSET },
                { "size", required_argument, NULL, ARG_SIZE },
                { "sector-size", required_argument, NULL, ARG_SECTOR },
                { "iv-tweak", required_argument, NULL, ARG_TWEAK },
                { "key-fd", required_argument, NULL, ARG_KEYFD },
                { "ready-fd", required_argument, NULL, ARG_READYFD },
                { "threads", required_argument, NULL, ARG_THREADS },
                { "discard", required_argument, NULL, ARG_DISCARD },
                {}
        };
        uint64_t v = 0;
        int c, r = 0;

        *o = (struct options) { .key_fd = 3, .ready_fd = -1, .threads = THREADS_DEFAULT };
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_IMAGE:
                        o->image = optarg;
                        break;
                case ARG_OFFSET:
                        r = safe_atou64(optarg, &o->offset);
                        break;
                case ARG_SIZE:
                        r = safe_atou64(optarg, &o->size);
                        break;
                case ARG_SECTOR:
                        r = safe_atou64(optarg, &v);
                        o->sector_size = v <= UINT32_MAX ? (uint32_t) v : 0;
                        break;
                case ARG_TWEAK:
                        r = safe_atou64(optarg, &o->iv_tweak);
                        break;
                case ARG_KEYFD:
                        r = parse_fd(optarg, &o->key_fd);
                        break;
                case ARG_READYFD:
                        r = parse_fd(optarg, &o->ready_fd);
                        break;
                case ARG_THREADS:
                        r = safe_atou64(optarg, &v);
                        o->threads = v <= THREADS_MAX ? (unsigned) v : 0;
                        break;
                case ARG_DISCARD:
                        o->discard = streq(optarg, "yes");
                        r = o->discard || streq(optarg, "no") ? 0 : -EINVAL;
                        break;
                default:
                        return -EINVAL;
                }
                if (r < 0)
                        return log_error_errno(r, "invalid value for --%s: '%s'", longopts[c - ARG_IMAGE + 1].name, optarg);
        }
        if (optind != argc - 1)
                return log_error_errno(EINVAL, "expected exactly one mount point argument");
        o->mountpoint = argv[optind];
        r = options_check(o);
        return r < 0 ? r : 1;
}

/* ---- set-up ---- */

static int open_image(const struct options *o, int *ret) {
        _cleanup_close_ int fd = -1;
        uint64_t bytes;
        struct stat st;

        fd = open(o->image, O_RDWR | O_DIRECT | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return log_error_errno(errno, "cannot open %s: %m", o->image);
        if (fstat(fd, &st) < 0)
                return log_error_errno(errno, "cannot stat %s: %m", o->image);
        if (S_ISREG(st.st_mode))
                bytes = (uint64_t) st.st_size;
        else if (S_ISBLK(st.st_mode)) {
                if (ioctl(fd, BLKGETSIZE64, &bytes) < 0)
                        return log_error_errno(errno, "cannot get the size of %s: %m", o->image);
        } else
                return log_error_errno(EINVAL, "%s is neither a regular file nor a block device", o->image);
        if (bytes < o->offset + o->size)
                return log_error_errno(EINVAL, "%s has %" PRIu64 " bytes, less than offset plus size", o->image, bytes);
        *ret = TAKE_FD(fd);
        return 0;
}

static int memory_harden(void) {
        /* One malloc arena: otherwise each worker thread that allocates
         * (libfuse does, per request) reserves its own 64 MiB arena, all
         * of it locked by MCL_FUTURE (VmLck). */
        if (mallopt(M_ARENA_MAX, 1) != 1)
                log_debug("mallopt(M_ARENA_MAX) failed, continuing");
        if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
                return log_error_errno(errno, "mlockall() failed: %m");
        /* Lets our I/O dip into reserves during reclaim. Needs
         * CAP_SYS_RESOURCE, which we often lack: not fatal. */
        if (prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0) < 0)
                log_debug_errno(errno, "PR_SET_IO_FLUSHER failed, continuing: %m");
        return 0;
}

static void *alloc_pages(size_t size) {
        void *p = NULL;

        if (posix_memalign(&p, (size_t) sysconf(_SC_PAGESIZE), size) != 0)
                return NULL;
        memset(p, 0, size); /* fault it in now, not under memory pressure */
        return p;
}

static int workers_alloc(struct cryptdev *d, const uint8_t *key) {
        size_t recv_size = FUSE_MAX_MAX_PAGES * (size_t) sysconf(_SC_PAGESIZE) + FUSE_HEADER_ROOM;
        int r;

        d->workers = calloc(d->opt.threads, sizeof(struct worker));
        if (!d->workers)
                return log_error_errno(ENOMEM, "out of memory");
        for (unsigned i = 0; i < d->opt.threads; i++) {
                struct worker *w = &d->workers[i];

                w->dev = d;
                w->recv_size = recv_size;
                w->recv = alloc_pages(recv_size);
                w->io = alloc_pages(IO_MAX);
                if (!w->recv || !w->io)
                        return log_error_errno(ENOMEM, "out of memory for I/O buffers");
        }
        r = key_install(d, key);
        if (r < 0)
                return log_error_errno(r, "cannot set up AES-XTS with this key: %m");
        return 0;
}

static void workers_free(struct cryptdev *d) {
        if (!d->workers)
                return;
        for (unsigned i = 0; i < d->opt.threads; i++) {
                xts_free(d->workers[i].xts);
                free(d->workers[i].recv);
                free(d->workers[i].io);
        }
        free(d->workers);
        d->workers = NULL;
}

/* ---- workers ---- */

static void *worker_main(void *p) {
        struct worker *w = p;
        struct fuse_session *se = w->dev->se;
        uint64_t one = 1;

        current_worker = w;
        while (!fuse_session_exited(se)) {
                struct fuse_buf buf = { .mem = w->recv, .size = w->recv_size };
                int r = fuse_session_receive_buf(se, &buf);

                if (r == -EINTR)
                        continue;
                if (r < 0)
                        log_error_errno(r, "reading from /dev/fuse failed: %m");
                if (r <= 0) /* 0: unmounted (ENODEV) or the session was told to exit */
                        break;
                fuse_session_process_buf(se, &buf);
        }
        if (write(w->dev->done_fd, &one, sizeof(one)) < 0)
                log_error_errno(errno, "cannot notify the main thread: %m");
        return NULL;
}

static void sigusr1_nop(int sig) {
}

static int workers_start(struct cryptdev *d) {
        struct sigaction sa = { .sa_handler = sigusr1_nop }; /* no SA_RESTART */
        pthread_attr_t attr;
        int r = 0;

        /* workers_stop() interrupts a blocking read() on /dev/fuse with it */
        if (sigaction(SIGUSR1, &sa, NULL) < 0)
                return log_error_errno(errno, "sigaction() failed: %m");
        if (pthread_attr_init(&attr) != 0 || pthread_attr_setstacksize(&attr, THREAD_STACK) != 0)
                return log_error_errno(EINVAL, "cannot set up thread attributes");
        for (unsigned i = 0; i < d->opt.threads && r == 0; i++) {
                r = -pthread_create(&d->workers[i].thread, &attr, worker_main, &d->workers[i]);
                d->workers[i].running = r == 0;
        }
        pthread_attr_destroy(&attr);
        if (r < 0)
                return log_error_errno(r, "cannot start worker threads: %m");
        return 0;
}

static void workers_stop(struct cryptdev *d) {
        fuse_session_exit(d->se);
        for (unsigned i = 0; i < d->opt.threads; i++) {
                struct worker *w = &d->workers[i];

                /* Re-send: the signal may land just before the read() starts. */
                while (w->running) {
                        struct timespec ts;

                        pthread_kill(w->thread, SIGUSR1);
                        clock_gettime(CLOCK_REALTIME, &ts);
                        ts.tv_nsec += 100 * 1000 * 1000;
                        if (ts.tv_nsec >= 1000 * 1000 * 1000) {
                                ts.tv_sec++;
                                ts.tv_nsec -= 1000 * 1000 * 1000;
                        }
                        if (pthread_timedjoin_np(w->thread, NULL, &ts) == 0)
                                w->running = false;
                }
        }
}

/* ---- life cycle ---- */

static int wait_initialized(struct cryptdev *d) {
        struct timespec deadline;
        int r = 0;

        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += INIT_TIMEOUT_SEC;
        pthread_mutex_lock(&d->lock);
        while (!d->initialized && r == 0)
                r = pthread_cond_timedwait(&d->cond, &d->lock, &deadline);
        pthread_mutex_unlock(&d->lock);
        return d->initialized ? 0 : log_error_errno(ETIMEDOUT, "the kernel did not initialise the FUSE connection");
}

static void notify_ready(struct options *o) {
        if (o->ready_fd < 0)
                return;
        if (write(o->ready_fd, "1", 1) != 1)
                log_warning_errno(errno, "cannot write to the ready fd: %m");
        o->ready_fd = safe_close(o->ready_fd);
}

/* On SIGTERM: unmount; if the loop device still holds the volume open, detach
 * lazily and keep serving until it lets go, so nothing written is lost. */
static void unmount_self(const char *mountpoint) {
        if (umount2(mountpoint, UMOUNT_NOFOLLOW) >= 0)
                return;
        if (errno == EBUSY && umount2(mountpoint, MNT_DETACH | UMOUNT_NOFOLLOW) >= 0) {
                log_info("%s is busy: detached it, serving until the last user closes the volume", mountpoint);
                return;
        }
        log_warning_errno(errno, "cannot unmount %s: %m", mountpoint);
}

/* Wait for the connection to end (every worker sees ENODEV) or for signals.
 * A second signal forces the end: the connection is aborted. */
static void serve(struct cryptdev *d, int sig_fd) {
        struct pollfd p[3] = { { .fd = d->done_fd, .events = POLLIN }, { .fd = sig_fd, .events = POLLIN },
                               { .fd = d->control_fd, .events = POLLIN } };
        bool unmounting = false;

        for (;;) {
                struct signalfd_siginfo si;

                p[2].fd = d->control_fd; /* -1 (ignored by poll) once the agent is gone */
                if (poll(p, ELEMENTSOF(p), -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        log_error_errno(errno, "poll() failed: %m");
                        return;
                }
                if (p[0].revents)
                        return;
                if (p[2].revents) {
                        (void) control_handle(d);
                        continue;
                }
                if (!p[1].revents)
                        continue;
                if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
                        continue;
                if (si.ssi_signo == SIGUSR1) {
                        volume_grow(d);
                        continue;
                }
                if (unmounting) {
                        log_warning("second signal: aborting the connection");
                        return;
                }
                log_info("signal %" PRIu32 " received, unmounting %s", si.ssi_signo, d->opt.mountpoint);
                unmount_self(d->opt.mountpoint);
                unmounting = true;
        }
}

static int session_start(struct cryptdev *d) {
        char *fargv[] = { (char *) FSNAME, (char *) "-o",
                          (char *) "default_permissions,fsname=" FSNAME ",subtype=" FSNAME, NULL };
        struct fuse_args args = FUSE_ARGS_INIT(3, fargv);

        d->se = fuse_session_new(&args, &cryptdev_ops, sizeof(cryptdev_ops), d);
        fuse_opt_free_args(&args);
        if (!d->se)
                return log_error_errno(EIO, "cannot create the FUSE session");
        if (fuse_session_mount(d->se, d->opt.mountpoint) != 0)
                return log_error_errno(EIO, "cannot mount on %s", d->opt.mountpoint);
        return 0;
}

static int signals_block(int *ret_fd) {
        sigset_t mask;
        int fd;

        /* An ignored signal never reaches a signalfd: undo whatever the
         * parent left us. */
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGUSR1);
        /* Before any thread exists, so that all of them inherit the mask. */
        if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0)
                return log_error_errno(EINVAL, "cannot block signals");
        fd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "signalfd() failed: %m");
        *ret_fd = fd;
        return 0;
}

static int setup(struct cryptdev *d, int *sig_fd) {
        _cleanup_secret_ uint8_t *key = NULL;
        int r;

        r = key_receive(d, &key);
        if (r < 0)
                return r;
        r = open_image(&d->opt, &d->image_fd);
        if (r < 0)
                return r;
        r = memory_harden();
        if (r < 0)
                return r;
        r = workers_alloc(d, key); /* key is wiped on return */
        if (r < 0)
                return r;
        d->done_fd = eventfd(0, EFD_CLOEXEC);
        if (d->done_fd < 0)
                return log_error_errno(errno, "eventfd() failed: %m");
        return signals_block(sig_fd);
}

int main(int argc, char **argv) {
        struct cryptdev d = {
                .image_fd = -1,
                .done_fd = -1,
                .control_fd = -1,
                .lock = PTHREAD_MUTEX_INITIALIZER,
                .cond = PTHREAD_COND_INITIALIZER,
                .changes = 1,
        };
        _cleanup_close_ int sig_fd = -1;
        int r;

        log_setup("homefs-cryptdev", LOG_LEVEL_INFO);
        secret_process_harden();

        r = parse_args(argc, argv, &d.opt);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        r = setup(&d, &sig_fd);
        if (r >= 0)
                r = session_start(&d);
        if (r >= 0)
                r = workers_start(&d);
        if (r >= 0)
                r = wait_initialized(&d);
        if (r >= 0) {
                notify_ready(&d.opt);
                serve(&d, sig_fd);
                log_info("served %" PRIu64 " reads (at most %u at once), %" PRIu64 " writes, %" PRIu64
                         " flushes with %" PRIu64 " fdatasync() of the image",
                         __atomic_load_n(&d.reads, __ATOMIC_RELAXED), __atomic_load_n(&d.reads_peak, __ATOMIC_RELAXED),
                         __atomic_load_n(&d.writes, __ATOMIC_RELAXED), __atomic_load_n(&d.flushes, __ATOMIC_RELAXED),
                         __atomic_load_n(&d.syncs, __ATOMIC_RELAXED));
        }

        if (d.se) {
                if (d.workers)
                        workers_stop(&d);
                /* Closes /dev/fuse; unmounts unless already gone. */
                fuse_session_unmount(d.se);
                fuse_session_destroy(d.se);
        }
        workers_free(&d);
        safe_close(d.image_fd);
        safe_close(d.done_fd);
        safe_close(d.control_fd);
        safe_close(d.opt.key_fd);
        safe_close(d.opt.ready_fd);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
