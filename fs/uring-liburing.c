/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* FUSE over io_uring on libfuse < 3.17, with liburing.
 *
 * The protocol (kernel 6.14+, fs/fuse/dev_uring.c): INIT's reply sets
 * FUSE_OVER_IO_URING in flags2 (only where the kernel offered it: the fuse
 * module parameter enable_uring). Then, for every possible CPU (qid), the
 * daemon registers ring entries with IORING_OP_URING_CMD on /dev/fuse
 * (128-byte SQEs, the command in the SQE's tail): REGISTER hands the kernel
 * an entry's header buffer (struct k_fuse_uring_req_header) and payload
 * buffer. Once every queue has an entry, the kernel sends each request to
 * the queue of the CPU the caller runs on, by completing one of that
 * queue's commands; the daemon answers with COMMIT_AND_FETCH, which carries
 * the reply in the same buffers and waits for the next request. FORGET and
 * INTERRUPT still come through /dev/fuse, so libfuse's loop keeps running.
 * Between the INIT reply and the last REGISTER the kernel holds requests
 * back; a failed REGISTER turns io_uring off for the connection, and
 * requests go on through /dev/fuse.
 *
 * Here: when the INIT reply is about to leave, one thread per queue is
 * started, pinned to its CPU, and makes its ring (single issuer, task work
 * deferred to its own io_uring_enter: no interrupts) and its buffers there;
 * only if every queue could, the reply asks for FUSE_OVER_IO_URING (else
 * the kernel would wait for queues that never come). Once the reply has
 * reached the kernel, each thread registers QUEUE_DEPTH entries and serves
 * them. A request is laid out as libfuse reads it from /dev/fuse (in
 * header, first argument, payload) in the headroom before the payload
 * buffer, so only the two headers are copied, and handed to
 * fuse_session_process_buf. The handler's reply arrives in devio-fuse314.c's
 * writev on the same thread, which gives it to
 * send_reply(): copied into the payload buffer and committed. */

#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "devio.h"
#include "log.h"
#include "uring.h"
#include "wake-local.h"

#define QUEUE_DEPTH 8
#define MAX_QUEUES 1024
/* In header and the largest per-operation header, laid out before the payload. */
#define HEADROOM 4096
#define K_FUSE_MIN_READ_BUFFER 8192
#define K_FUSE_MAX_PAGES (1U << 22)
#define K_FUSE_DEFAULT_MAX_PAGES 32
#define TAG_STOP UINT64_MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))

_Static_assert(sizeof(struct k_fuse_uring_cmd_req) <= 80, "command fits the SQE128 tail");
_Static_assert(HEADROOM >= sizeof(struct k_fuse_in_header) + K_FUSE_URING_OP_IN_OUT_SZ, "headroom");

struct entry {
        struct k_fuse_uring_req_header hdr;
        struct iovec iov[2]; /* for REGISTER: header, payload */
        char *payload;       /* HEADROOM bytes after the start of its allocation */
        uint64_t unique;     /* of the request being served */
        bool live;           /* registered and not torn down */
        bool committed;      /* the request has its reply */
};

struct queue {
        unsigned qid;
        struct io_uring ring;
        bool ring_ok;
        int stop_fd; /* eventfd: uring_stop() wakes the thread */
        uint64_t stop_buf;
        pthread_t thread;
        bool started;
        int setup; /* 1 ready, negative errno: failed; under rings.lock */
        struct entry entries[QUEUE_DEPTH];
        unsigned live;
        struct wake_local wake; /* the queue thread's own */
};

static struct {
        bool wanted;
        struct fuse_session *se;
        int dev_fd;
        size_t payload_size;
        unsigned n_queues;
        struct queue *queues; /* freed by uring_stop(), once the threads are gone */
        atomic_uint registered; /* queues whose REGISTERs all went through */
        atomic_bool failed;
        atomic_bool requested; /* FUSE_OVER_IO_URING was in the INIT reply */
        atomic_uint_fast64_t requests;
        /* Setup handshake between the INIT reply and the queue threads. */
        pthread_mutex_t lock;
        pthread_cond_t cond;
        enum { GO_WAIT, GO_RUN, GO_ABORT } go;
} rings = { .dev_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void *queue_thread(void *p);

static __thread struct queue *this_queue;
static __thread struct entry *this_entry;

static void uring_off(const char *why, int err) {
        if (atomic_exchange(&rings.failed, true))
                return;
        if (err)
                log_warning("FUSE over io_uring unavailable (%s: %s): serving requests through /dev/fuse",
                            why, strerror(err));
        else
                log_info("FUSE over io_uring unavailable (%s): serving requests through /dev/fuse", why);
}

const char *uring_session_options(bool want) {
        return "";
}


void uring_init(struct fuse_conn_info *conn) {
        if (!rings.wanted)
                return;
        if (!(devio_init_flags2() & K_FUSE_OVER_IO_URING_FLAGS2)) {
                uring_off("the kernel does not offer it: fuse module parameter enable_uring is off", 0);
                return;
        }
        /* A reply through a ring is copied into its payload buffer: libfuse
         * must not splice read data into /dev/fuse. */
        conn->want &= ~(FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
        devio_expect_init();
}

/* The kernel has one queue per possible CPU, ids 0..n-1. */
static unsigned possible_cpus(void) {
        unsigned lo, hi, n = 0;
        char line[256], *p;
        FILE *f = fopen("/sys/devices/system/cpu/possible", "re");

        if (f) {
                if (fgets(line, sizeof(line), f))
                        for (p = strtok(line, ",\n"); p; p = strtok(NULL, ",\n")) {
                                int k = sscanf(p, "%u-%u", &lo, &hi);

                                if (k == 1)
                                        hi = lo;
                                if (k >= 1 && hi + 1 > n)
                                        n = hi + 1;
                        }
                fclose(f);
        }
        if (n == 0)
                n = (unsigned) get_nprocs_conf();
        return n;
}

static int queue_setup(struct queue *q) {
        int r;

        q->stop_fd = eventfd(0, EFD_CLOEXEC);
        if (q->stop_fd < 0)
                return -errno;
        /* The thread that made the ring is its only user and waits for
         * completions in io_uring_enter: deferred task work fits. */
        r = io_uring_queue_init(QUEUE_DEPTH + 2, &q->ring,
                                IORING_SETUP_SQE128 | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
        if (r == -EINVAL) /* kernels before 6.1 */
                r = io_uring_queue_init(QUEUE_DEPTH + 2, &q->ring, IORING_SETUP_SQE128);
        if (r < 0)
                return r;
        q->ring_ok = true;
        for (unsigned k = 0; k < QUEUE_DEPTH; k++) {
                struct entry *e = &q->entries[k];
                char *mem = aligned_alloc(4096, HEADROOM + rings.payload_size);

                if (!mem)
                        return -ENOMEM;
                e->payload = mem + HEADROOM;
                e->iov[0] = (struct iovec) { &e->hdr, sizeof(e->hdr) };
                e->iov[1] = (struct iovec) { e->payload, rings.payload_size };
        }
        return 0;
}

static void queues_free(void) {
        for (unsigned k = 0; rings.queues && k < rings.n_queues; k++) {
                struct queue *q = &rings.queues[k];

                for (unsigned j = 0; j < QUEUE_DEPTH; j++)
                        if (q->entries[j].payload)
                                free(q->entries[j].payload - HEADROOM);
                if (q->ring_ok)
                        io_uring_queue_exit(&q->ring);
                if (q->stop_fd >= 0)
                        close(q->stop_fd);
        }
        free(rings.queues);
        rings.queues = NULL;
}

/* Sets up the rings and, if that worked, asks for FUSE_OVER_IO_URING. */
static void patch_init(struct k_fuse_init_out *o) {
        unsigned pages = (o->flags & K_FUSE_MAX_PAGES) ? o->max_pages : K_FUSE_DEFAULT_MAX_PAGES;
        size_t page = (size_t) sysconf(_SC_PAGESIZE);
        int r = 0;

        if (!rings.wanted || atomic_load(&rings.failed) || !(devio_init_flags2() & K_FUSE_OVER_IO_URING_FLAGS2))
                return;
        /* What the kernel requires of a payload buffer (fuse_uring_create). */
        rings.payload_size = MAX(MAX((size_t) K_FUSE_MIN_READ_BUFFER, (size_t) o->max_write), pages * page);
        rings.n_queues = possible_cpus();
        if (rings.n_queues > MAX_QUEUES) {
                uring_off("too many CPUs", 0);
                return;
        }
        rings.queues = calloc(rings.n_queues, sizeof(*rings.queues));
        if (!rings.queues) {
                uring_off("cannot set up the rings", ENOMEM);
                return;
        }
        for (unsigned k = 0; k < rings.n_queues; k++) {
                struct queue *q = &rings.queues[k];

                q->qid = k;
                q->stop_fd = -1;
                r = pthread_create(&q->thread, NULL, queue_thread, q);
                if (r != 0)
                        break;
                q->started = true;
        }
        /* Wait for every started thread to report its setup. */
        pthread_mutex_lock(&rings.lock);
        for (unsigned k = 0; k < rings.n_queues; k++)
                while (rings.queues[k].started && rings.queues[k].setup == 0)
                        pthread_cond_wait(&rings.cond, &rings.lock);
        for (unsigned k = 0; r == 0 && k < rings.n_queues; k++)
                if (rings.queues[k].setup < 0)
                        r = -rings.queues[k].setup;
        if (r != 0)
                rings.go = GO_ABORT;
        pthread_cond_broadcast(&rings.cond);
        pthread_mutex_unlock(&rings.lock);
        if (r != 0) {
                uring_stop();
                uring_off("cannot set up the rings", r);
                return;
        }
        o->flags |= K_FUSE_INIT_EXT;
        o->flags2 |= K_FUSE_OVER_IO_URING_FLAGS2;
        atomic_store(&rings.requested, true);
}

static struct io_uring_sqe *sqe_get(struct queue *q) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);

        if (!sqe) { /* cannot happen: one SQE per entry at most */
                (void) io_uring_submit(&q->ring);
                sqe = io_uring_get_sqe(&q->ring);
        }
        return sqe;
}

static void sqe_fuse_cmd(struct queue *q, struct entry *e, uint32_t op) {
        struct io_uring_sqe *sqe = sqe_get(q);
        struct k_fuse_uring_cmd_req *cmd;

        if (!sqe)
                return;
        memset(sqe, 0, 128);
        sqe->opcode = IORING_OP_URING_CMD;
        sqe->fd = rings.dev_fd;
        sqe->cmd_op = op;
        sqe->user_data = (uint64_t) (uintptr_t) e;
        if (op == K_FUSE_IO_URING_CMD_REGISTER) {
                sqe->addr = (uint64_t) (uintptr_t) e->iov;
                sqe->len = 2;
        }
        cmd = (struct k_fuse_uring_cmd_req *) sqe->cmd;
        cmd->qid = (uint16_t) q->qid;
        cmd->commit_id = e->unique;
}

static void sqe_stop_read(struct queue *q) {
        struct io_uring_sqe *sqe = sqe_get(q);

        if (!sqe)
                return;
        io_uring_prep_read(sqe, q->stop_fd, &q->stop_buf, sizeof(q->stop_buf), 0);
        sqe->user_data = TAG_STOP;
}

/* A reply that is not this entry's (a notification) goes to /dev/fuse. */
static bool send_reply(struct iovec *iov, int count, ssize_t *ret) {
        struct entry *e = this_entry;
        struct k_fuse_out_header oh;
        size_t n = 0;

        if (!e || e->committed || count < 1 || iov[0].iov_len != sizeof(oh))
                return false;
        memcpy(&oh, iov[0].iov_base, sizeof(oh));
        if (oh.unique != e->unique)
                return false;
        for (int k = 1; k < count; k++) {
                if (iov[k].iov_len > rings.payload_size - n) {
                        /* Larger than any reply the kernel can take: say so. */
                        log_error("reply of %zu bytes does not fit the ring's payload buffer", n + iov[k].iov_len);
                        oh.error = -EIO;
                        n = 0;
                        break;
                }
                memmove(e->payload + n, iov[k].iov_base, iov[k].iov_len);
                n += iov[k].iov_len;
        }
        oh.len = (uint32_t) (sizeof(oh) + n);
        memcpy(e->hdr.in_out, &oh, sizeof(oh));
        e->hdr.ring_ent_in_out = (struct k_fuse_uring_ent_in_out) { .payload_sz = (uint32_t) n };
        sqe_fuse_cmd(this_queue, e, K_FUSE_IO_URING_CMD_COMMIT_AND_FETCH);
        e->committed = true;
        *ret = (ssize_t) oh.len;
        return true;
}

static void commit_error(struct queue *q, struct entry *e, int err) {
        struct k_fuse_out_header oh = { .len = sizeof(oh), .error = -err, .unique = e->unique };

        memcpy(e->hdr.in_out, &oh, sizeof(oh));
        e->hdr.ring_ent_in_out = (struct k_fuse_uring_ent_in_out) {};
        sqe_fuse_cmd(q, e, K_FUSE_IO_URING_CMD_COMMIT_AND_FETCH);
}

/* The kernel filled e: lay it out as a /dev/fuse read and process it. */
static void serve(struct queue *q, struct entry *e) {
        struct k_fuse_in_header in;
        uint32_t payload = e->hdr.ring_ent_in_out.payload_sz;
        size_t op_size;
        char *start;

        memcpy(&in, e->hdr.in_out, sizeof(in));
        e->unique = in.unique;
        e->committed = false;
        if (payload > rings.payload_size || in.len < sizeof(in) + payload ||
            in.len - sizeof(in) - payload > K_FUSE_URING_OP_IN_OUT_SZ) {
                log_error("malformed io_uring request (opcode %u, length %u, payload %u)", in.opcode, in.len, payload);
                commit_error(q, e, EIO);
                return;
        }
        op_size = in.len - sizeof(in) - payload;
        start = e->payload - op_size - sizeof(in);
        memcpy(start, &in, sizeof(in));
        memcpy(start + sizeof(in), e->hdr.op_in, op_size);

        atomic_fetch_add_explicit(&rings.requests, 1, memory_order_relaxed);
        wake_local_note(&q->wake, in.pid);
        this_entry = e;
        fuse_session_process_buf(rings.se, &(struct fuse_buf) { .size = in.len, .mem = start });
        this_entry = NULL;
        if (!e->committed) /* every request through a ring wants a reply */
                commit_error(q, e, EIO);
}

/* Returns false once the queue is done. */
static bool completion(struct queue *q, struct io_uring_cqe *cqe) {
        struct entry *e;

        if (cqe->user_data == TAG_STOP)
                return false;
        e = (struct entry *) (uintptr_t) cqe->user_data;
        if (cqe->res < 0) {
                /* Torn down (unmount, abort) or refused. */
                if (e->live) {
                        e->live = false;
                        q->live--;
                }
                if (cqe->res != -ENOTCONN && cqe->res != -ECANCELED)
                        log_debug("io_uring queue %u: entry ended: %s", q->qid, strerror(-cqe->res));
                return q->live > 0;
        }
        serve(q, e);
        return true;
}

static void *queue_thread(void *p) {
        struct queue *q = p;
        struct io_uring_cqe *cqe;
        cpu_set_t set;
        bool run = true, refused = false;
        int r;

        this_queue = q;
        CPU_ZERO(&set);
        CPU_SET(q->qid, &set);
        /* An offline CPU: still register, requests from it never come. */
        (void) pthread_setaffinity_np(pthread_self(), sizeof(set), &set);

        r = queue_setup(q);
        pthread_mutex_lock(&rings.lock);
        q->setup = r < 0 ? r : 1;
        pthread_cond_broadcast(&rings.cond);
        while (rings.go == GO_WAIT)
                pthread_cond_wait(&rings.cond, &rings.lock);
        run = rings.go == GO_RUN;
        pthread_mutex_unlock(&rings.lock);
        if (!run)
                return NULL;

        for (unsigned k = 0; k < QUEUE_DEPTH; k++)
                sqe_fuse_cmd(q, &q->entries[k], K_FUSE_IO_URING_CMD_REGISTER);
        sqe_stop_read(q);
        r = io_uring_submit(&q->ring);
        if (r < 0) {
                uring_off("cannot submit to the ring", -r);
                return NULL;
        }
        /* A refused REGISTER completes at once; accepted ones wait for a
         * request. A queue that was refused still serves what it has: the
         * kernel has turned io_uring off for the connection, but should the
         * ring become ready nevertheless, nothing must hang. */
        for (unsigned k = 0; k < QUEUE_DEPTH; k++)
                q->entries[k].live = true;
        q->live = QUEUE_DEPTH;
        while (run && io_uring_peek_cqe(&q->ring, &cqe) == 0) {
                if (cqe->res < 0 && cqe->user_data != TAG_STOP) {
                        uring_off("the kernel refused a queue", -cqe->res);
                        refused = true;
                }
                run = completion(q, cqe);
                io_uring_cqe_seen(&q->ring, cqe);
        }
        if (run && !refused && atomic_fetch_add(&rings.registered, 1) + 1 == rings.n_queues)
                log_info("serving FUSE requests through io_uring: %u queues of %u entries, %zu KiB payload each",
                         rings.n_queues, QUEUE_DEPTH, rings.payload_size / 1024);

        wake_local_setup(&q->wake, q->qid);
        while (run) {
                unsigned head, seen = 0;

                /* The commits on their own at SCHED_IDLE where that keeps
                 * their callers on this CPU (wake-local.c), else with the
                 * wait in one system call. A failed submit leaves them in
                 * the ring: the submit and wait below tries again and
                 * reports the error. */
                if (io_uring_sq_ready(&q->ring) > 0 && wake_local_begin(&q->wake)) {
                        (void) io_uring_submit(&q->ring);
                        wake_local_end(&q->wake);
                }
                r = io_uring_submit_and_wait(&q->ring, 1);
                if (r < 0 && r != -EINTR) {
                        log_error("io_uring queue %u: %s", q->qid, strerror(-r));
                        break;
                }
                io_uring_for_each_cqe(&q->ring, head, cqe) {
                        seen++;
                        if (!completion(q, cqe)) {
                                run = false;
                                break;
                        }
                }
                io_uring_cq_advance(&q->ring, seen);
        }
        wake_local_close(&q->wake);
        /* Commits of the last batch still in the SQ: a stopping
         * connection refuses them anyway. */
        return NULL;
}

/* After the INIT reply was written (ok: it reached the kernel): the queue
 * threads register and serve, or end. */
static void init_sent(bool ok) {
        if (!atomic_load(&rings.requested))
                return;
        pthread_mutex_lock(&rings.lock);
        rings.go = ok ? GO_RUN : GO_ABORT;
        pthread_cond_broadcast(&rings.cond);
        pthread_mutex_unlock(&rings.lock);
}

/* Requests come through the rings: /dev/fuse is left FORGET and INTERRUPT. */
static bool pace_forgets(void) {
        return uring_transport() == TRANSPORT_URING;
}

int uring_session(struct fuse_session *se, bool want) {
        static const struct devio_hooks hooks = {
                .patch_init = patch_init,
                .send_reply = send_reply,
                .init_sent = init_sent,
                .pace_forgets = pace_forgets,
        };

        rings.wanted = want;
        rings.se = se;
        rings.dev_fd = fuse_session_fd(se);
        return want ? devio_session(se, &hooks) : 0;
}

void uring_stop(void) {
        pthread_mutex_lock(&rings.lock);
        if (rings.go == GO_WAIT)
                rings.go = GO_ABORT;
        pthread_cond_broadcast(&rings.cond);
        pthread_mutex_unlock(&rings.lock);
        for (unsigned k = 0; rings.queues && k < rings.n_queues; k++) {
                struct queue *q = &rings.queues[k];

                if (!q->started)
                        continue;
                if (q->stop_fd >= 0)
                        (void) eventfd_write(q->stop_fd, 1);
                pthread_join(q->thread, NULL);
                q->started = false;
        }
        /* The threads are gone: nothing writes to the buffers any more
         * (the kernel fills them in the thread's own io_uring_enter or
         * commit), and closing the rings cancels their commands. */
        queues_free();
}

enum transport uring_transport(void) {
        if (rings.n_queues > 0 && !atomic_load(&rings.failed) && atomic_load(&rings.registered) == rings.n_queues)
                return TRANSPORT_URING;
        return TRANSPORT_DEV;
}

uint64_t uring_requests(void) {
        return atomic_load_explicit(&rings.requests, memory_order_relaxed);
}
