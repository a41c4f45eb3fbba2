/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* homefs-cryptdev's key and its control channel.
 *
 * The agent hands the key over a SOCK_SEQPACKET socket (fd 3) and keeps that
 * socket as the control channel: one message per command, one reply each.
 *
 *   agent → engine                 reply   meaning
 *   64 bytes (first message)       —       the volume key
 *   "W"                            "w"     wipe the key, hold every new request
 *   "K" + 64 bytes                 "k"     here is the key again: release
 *   "F"                            "f"     fail held and later requests (EIO)
 *
 * "W" waits for the requests in flight to finish, then frees every worker's
 * AES-XTS context (OpenSSL cleanses the key schedule), so that afterwards no
 * byte of the key is left in the engine's memory. Held requests wait on a
 * condition variable in their worker; the kernel queues the rest. The loop
 * device and ext4 above simply wait. If the agent's end closes while the key
 * is wiped, held requests fail: nobody is left to bring the key back.
 *
 * A key given through a pipe or a file (tests start the engine by hand) is
 * read to end of file as before, and there is no control channel. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cryptdev.h"
#include "log.h"
#include "macro.h"
#include "secret.h"

#define MSG_MAX (1 + XTS_KEY_SIZE + 1) /* one more than the largest: detects oversize */

int key_enter(struct cryptdev *d) {
        int r = 0;

        pthread_mutex_lock(&d->lock);
        while (d->key_held && !d->key_dead)
                pthread_cond_wait(&d->cond, &d->lock);
        if (d->key_dead)
                r = -EIO;
        else
                d->key_users++;
        pthread_mutex_unlock(&d->lock);
        return r;
}

void key_leave(struct cryptdev *d) {
        pthread_mutex_lock(&d->lock);
        if (--d->key_users == 0)
                pthread_cond_broadcast(&d->cond);
        pthread_mutex_unlock(&d->lock);
}

static void contexts_free(struct cryptdev *d) {
        for (unsigned i = 0; i < d->opt.threads; i++) {
                xts_free(d->workers[i].xts);
                d->workers[i].xts = NULL;
        }
}

int key_install(struct cryptdev *d, const uint8_t *key) {
        int r = 0;

        pthread_mutex_lock(&d->lock);
        for (unsigned i = 0; i < d->opt.threads && r >= 0; i++)
                if (!d->workers[i].xts)
                        r = xts_new(key, &d->workers[i].xts);
        if (r < 0)
                contexts_free(d);
        else {
                d->key_held = false;
                pthread_cond_broadcast(&d->cond);
        }
        pthread_mutex_unlock(&d->lock);
        return r;
}

static void key_wipe(struct cryptdev *d) {
        pthread_mutex_lock(&d->lock);
        d->key_held = true;
        while (d->key_users > 0)
                pthread_cond_wait(&d->cond, &d->lock);
        contexts_free(d);
        pthread_mutex_unlock(&d->lock);
}

static void key_fail(struct cryptdev *d) {
        pthread_mutex_lock(&d->lock);
        d->key_dead = true;
        pthread_cond_broadcast(&d->cond);
        pthread_mutex_unlock(&d->lock);
}

static bool is_seqpacket(int fd) {
        int type = 0;
        socklen_t len = sizeof(type);

        return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) >= 0 && type == SOCK_SEQPACKET;
}

/* One message into secret memory; its length, 0 at end of file. */
static ssize_t control_recv(int fd, uint8_t *buf) {
        ssize_t n;

        do
                n = recv(fd, buf, MSG_MAX, MSG_TRUNC);
        while (n < 0 && errno == EINTR);
        return n < 0 ? negative_errno() : n;
}

/* Read until end of file: a pipe or a file. */
static int read_to_eof(int fd, uint8_t *key) {
        size_t got = 0;

        while (got < XTS_KEY_SIZE + 1) {
                ssize_t n = read(fd, key + got, XTS_KEY_SIZE + 1 - got);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return log_error_errno(errno, "reading the key from fd %d failed: %m", fd);
                if (n == 0)
                        break;
                got += (size_t) n;
        }
        return got == XTS_KEY_SIZE ? 0 : log_error_errno(EINVAL, "the key must be exactly %d bytes", XTS_KEY_SIZE);
}

int key_receive(struct cryptdev *d, uint8_t **ret) {
        _cleanup_secret_ uint8_t *buf = secret_alloc(MSG_MAX);
        int fd = d->opt.key_fd;
        ssize_t n;
        int r;

        if (!buf)
                return log_error_errno(ENOMEM, "cannot allocate secret memory");
        if (!is_seqpacket(fd)) {
                r = read_to_eof(fd, buf);
                d->opt.key_fd = safe_close(fd);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(buf);
                return 0;
        }
        n = control_recv(fd, buf);
        if (n < 0)
                return log_error_errno(n, "reading the key from fd %d failed: %m", fd);
        if (n != XTS_KEY_SIZE)
                return log_error_errno(EINVAL, "the key must be exactly %d bytes", XTS_KEY_SIZE);
        d->control_fd = TAKE_FD(d->opt.key_fd);
        *ret = TAKE_PTR(buf);
        return 0;
}

static void control_reply(struct cryptdev *d, char c) {
        if (send(d->control_fd, &c, 1, MSG_NOSIGNAL) != 1)
                log_warning_errno(errno, "cannot answer the agent: %m");
}

int control_handle(struct cryptdev *d) {
        _cleanup_secret_ uint8_t *buf = secret_alloc(MSG_MAX);
        ssize_t n;
        int r;

        if (!buf)
                return log_error_errno(ENOMEM, "cannot allocate secret memory");
        n = control_recv(d->control_fd, buf);
        if (n == -EAGAIN)
                return 0;
        if (n <= 0) {
                /* The agent is gone: a held request would wait forever, so
                 * fail them. With the key in place, keep serving: the
                 * filesystem above is still unmounted through us. Only this
                 * thread holds and releases the key, so key_held is stable. */
                if (d->key_held) {
                        log_warning("the agent closed the control channel while the key was wiped: failing held requests");
                        key_fail(d);
                }
                d->control_fd = safe_close(d->control_fd);
                return 0;
        }
        if (n == 1 && buf[0] == 'W') {
                key_wipe(d);
                log_info("key wiped; holding requests");
                control_reply(d, 'w');
        } else if (n == 1 + XTS_KEY_SIZE && buf[0] == 'K') {
                r = key_install(d, buf + 1);
                if (r < 0)
                        log_error_errno(r, "cannot set up AES-XTS with the key given back: %m");
                else
                        log_info("key given back; serving again");
                control_reply(d, r < 0 ? 'e' : 'k');
        } else if (n == 1 && buf[0] == 'F') {
                key_fail(d);
                log_info("failing held and later requests");
                control_reply(d, 'f');
        } else {
                log_error("unknown control message of %zd bytes; ignored", n);
                control_reply(d, 'e');
        }
        return 0;
}
