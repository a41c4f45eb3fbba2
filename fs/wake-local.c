/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Waking a FUSE caller on its own CPU.
 *
 * Why: a queue thread answers a request by committing the reply, and the
 * commit wakes the caller. The queue thread is pinned to the caller's CPU
 * and still running at that moment, so the scheduler places the caller on
 * another CPU if one is idle, and the caller's next request goes to that
 * CPU's queue: a single-threaded caller (tar, git, rm) hops between CPUs on
 * a large share of its requests. On a VM each hop is an inter-processor
 * interrupt to a halted vCPU: a pipe round trip between two processes (two
 * wake-ups) takes 60 µs across two CPUs on the machines homefs is built on,
 * 2.9 µs on one (bench/roundtrip.sh; bench/README.md, "Local wake-ups").
 *
 * The kernel counts a CPU that runs only SCHED_IDLE tasks as idle when it
 * places a wakee (sched_idle_cpu()), and a normal wakee preempts a
 * SCHED_IDLE task at once. So a queue thread that commits at SCHED_IDLE
 * keeps the caller on its own CPU, and hands it the CPU straight away.
 *
 * The danger is the way back: until the thread is SCHED_OTHER again it gets
 * a CPU only when nothing else on its CPU wants one, so a CPU-bound task
 * there would hold up the thread, and every request made on that CPU, for
 * up to hundreds of milliseconds. Hence the thread goes to SCHED_IDLE only
 * for the submit, only when it is the one runnable task on the whole
 * machine (the "running" count of /proc/loadavg, read before each commit:
 * any other task running or waiting for a CPU means normal priority), and
 * only if it has been able to return to SCHED_OTHER when it tried at setup
 * (that needs CAP_SYS_NICE or an RLIMIT_NICE of 20).
 *
 * And only where it pays: the check and the two policy changes cost about
 * 2 µs a commit, so a caller that seldom hops (a tight create loop: 1 % of
 * its requests) would lose 10 %. Each queue counts how many of its recent
 * requests came from a caller whose previous request went to another
 * queue, and commits at SCHED_IDLE while that share is above 4 %, until it
 * falls below 1 % (once local wake-ups work, hops stop, the share decays,
 * they turn off, and the hops that come back turn them on again). Where
 * /proc/loadavg is not the kernel's own (lxcfs in a container shows the
 * container's tasks, not the machine's), the thread never goes to
 * SCHED_IDLE. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "log.h"
#include "wake-local.h"

/* The share of hops, in 1/65536, a moving average over ~64 requests. */
#define HOPS_ON (65536U * 4 / 100)
#define HOPS_OFF (65536U * 1 / 100)
#define HOPS_WEIGHT_SHIFT 6
/* The queue each recent caller (by thread id) made its last request to:
 * pid << 10 | qid. A slot shared by two callers only blurs the count. */
#define LAST_QUEUE_SLOTS 1024U
#define QID_BITS 10

static bool allowed = true;
static _Atomic uint32_t last_queue[LAST_QUEUE_SLOTS];
static atomic_uint_fast64_t n_hops, n_local, n_busy;
static atomic_uint n_threads;

void wake_local_allow(bool allow) {
        allowed = allow;
}

static int set_policy(int policy) {
        struct sched_param p = { .sched_priority = 0 };

        return sched_setscheduler(0, policy, &p) < 0 ? -errno : 0;
}

/* May this thread return from SCHED_IDLE to SCHED_OTHER? The kernel lets
 * it with CAP_SYS_NICE, or with an RLIMIT_NICE that allows its nice value
 * (SCHED_IDLE counts as nice 20). Asked before trying: a thread that went
 * to SCHED_IDLE and could not come back would stay there. */
static bool can_return(void) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {};
        struct rlimit rl;
        int nice;

        if (syscall(SYS_capget, &h, d) == 0 && (d[0].effective & (1U << CAP_SYS_NICE)))
                return true;
        errno = 0;
        nice = getpriority(PRIO_PROCESS, (id_t) gettid());
        return errno == 0 && getrlimit(RLIMIT_NICE, &rl) == 0 && rl.rlim_cur >= (rlim_t) (20 - nice);
}

void wake_local_setup(struct wake_local *w, unsigned qid) {
        struct statfs fs;
        int r;

        *w = (struct wake_local) { .loadavg_fd = -1, .qid = qid & ((1U << QID_BITS) - 1) };
        /* Only from the default policy: nothing else is restored. */
        if (!allowed || sched_getscheduler(0) != SCHED_OTHER)
                return;
        if (!can_return()) {
                log_debug("local wake-ups off: no CAP_SYS_NICE");
                return;
        }
        r = set_policy(SCHED_IDLE);
        if (r < 0) {
                log_debug("local wake-ups off: cannot set SCHED_IDLE: %s", strerror(-r));
                return;
        }
        r = set_policy(SCHED_OTHER);
        if (r < 0) {
                /* Stuck at SCHED_IDLE: this queue waits behind any work. */
                log_error("cannot return a queue thread to SCHED_OTHER: %s", strerror(-r));
                return;
        }
        w->loadavg_fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
        if (w->loadavg_fd < 0)
                return;
        if (fstatfs(w->loadavg_fd, &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC) {
                log_debug("local wake-ups off: /proc/loadavg is not procfs's");
                return;
        }
        w->on = true;
        n_threads++;
}

void wake_local_close(struct wake_local *w) {
        if (w->on)
                n_threads--;
        if (w->loadavg_fd >= 0)
                close(w->loadavg_fd);
        *w = (struct wake_local) { .loadavg_fd = -1 };
}

int loadavg_runnable(const char *text) {
        const char *slash = strchr(text, '/'), *p;
        long n = 0;

        if (!slash || slash == text)
                return -1;
        for (p = slash; p > text && p[-1] != ' '; p--)
                ;
        if (p == slash)
                return -1;
        for (; p < slash; p++) {
                if (*p < '0' || *p > '9' || n > INT_MAX / 10)
                        return -1;
                n = n * 10 + (*p - '0');
        }
        return n <= INT_MAX ? (int) n : -1;
}

/* Is this thread the one task on the machine that runs or waits to? */
static bool alone(int fd) {
        char buf[128];
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

        if (n <= 0)
                return false;
        buf[n] = '\0';
        return loadavg_runnable(buf) == 1;
}

void wake_local_note(struct wake_local *w, uint32_t pid) {
        uint32_t tag = pid << QID_BITS | w->qid, old;
        bool hop;

        if (!w->on || pid == 0) /* 0: the kernel's own (a background release) */
                return;
        old = atomic_exchange_explicit(&last_queue[pid % LAST_QUEUE_SLOTS], tag, memory_order_relaxed);
        hop = old >> QID_BITS == (pid & (UINT32_MAX >> QID_BITS)) && old != tag;
        if (hop)
                atomic_fetch_add_explicit(&n_hops, 1, memory_order_relaxed);
        w->hops += ((hop ? 65536U : 0U) >> HOPS_WEIGHT_SHIFT) - (w->hops >> HOPS_WEIGHT_SHIFT);
        if (w->hops > HOPS_ON)
                w->active = true;
        else if (w->hops < HOPS_OFF)
                w->active = false;
}

bool wake_local_begin(struct wake_local *w) {
        if (!w->on || !w->active)
                return false;
        if (!alone(w->loadavg_fd)) {
                atomic_fetch_add_explicit(&n_busy, 1, memory_order_relaxed);
                return false;
        }
        if (set_policy(SCHED_IDLE) < 0)
                return false;
        atomic_fetch_add_explicit(&n_local, 1, memory_order_relaxed);
        return true;
}

void wake_local_end(struct wake_local *w) {
        int r = set_policy(SCHED_OTHER);

        if (r < 0) {
                /* It worked at setup; never try again. */
                w->on = false;
                n_threads--;
                log_error("cannot return a queue thread to SCHED_OTHER: %s", strerror(-r));
        }
}

void wake_local_counts(struct wake_local_stats *s) {
        *s = (struct wake_local_stats) { .threads = n_threads, .hops = n_hops, .local = n_local, .busy = n_busy };
}
