/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clients.h"
#include "macro.h"
#include "parse-util.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#define LOGINUID_UNSET ((uid_t) -1)

struct uid_count {
        uid_t uid;
        bool direct;         /* the account's own uid (else: others claiming its login uid) */
        unsigned n;          /* ordinary connections */
        unsigned n_sessions; /* connections holding a login session */
};

/* At most CLIENTS_MAX ordinary non-root connections exist, each in at most
 * two slots (below), and a session starts as one, so a slot per possible
 * uid with a session is too much to keep; slots are shared and found by
 * uid. */
static struct uid_count counts[2 * CLIENTS_MAX];
static unsigned total;
static pthread_mutex_t clients_mutex = PTHREAD_MUTEX_INITIALIZER;

/* A process whose login uid is unset may set it to any value (the kernel
 * asks for no privilege then), so a login uid other than the caller's own
 * uid proves nothing. Each uid has a slot of its own (direct) for all its
 * connections; connections that claim another login uid count in that
 * login uid's shared slot too. Another user claiming a victim's login uid
 * thus fills that shared slot, never the victim's own; a user's
 * subordinate uids still share one budget; and a uid claiming ever new
 * login uids stays within its own. The slot of (uid, account). */
static struct uid_count *find_slot(uid_t uid, uid_t account, bool create) {
        struct uid_count *empty = NULL;
        bool direct = uid == account;

        for (size_t i = 0; i < ELEMENTSOF(counts); i++) {
                bool used = counts[i].n > 0 || counts[i].n_sessions > 0;

                if (used && counts[i].uid == account && counts[i].direct == direct)
                        return &counts[i];
                if (!used && !empty)
                        empty = &counts[i];
        }
        if (create && empty) {
                empty->uid = account;
                empty->direct = direct;
        }
        return create ? empty : NULL;
}

/* /proc/PID/loginuid, or LOGINUID_UNSET. */
static uid_t read_loginuid(pid_t pid) {
        char path[64], buf[16];
        unsigned v;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/loginuid", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return LOGINUID_UNSET;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return LOGINUID_UNSET;
        buf[n] = 0;
        /* The kernel writes "%u", no newline; anything else counts as unset. */
        if (safe_atou(buf, &v) < 0 || v >= LOGINUID_UNSET)
                return LOGINUID_UNSET;
        return (uid_t) v;
}

int clients_account(int fd, const struct ucred *cred, uid_t *ret) {
        socklen_t len = sizeof(int);
        bool alive = true;
        uid_t login;
        int pidfd = -1;

        *ret = cred->uid;
        if (cred->uid == 0)
                return 0;
        if (cred->pid <= 0)
                return -ESRCH;
        /* The peer's pidfd pins its identity: the pid is read through /proc,
         * and if the process is still alive after the read, the pid was not
         * reused meanwhile. */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) < 0) {
                if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
                        return -errno; /* no fd for the pidfd: the agent's limits */
                if (errno != ENOPROTOOPT)
                        return -ESRCH; /* the peer is gone already */
                pidfd = -1; /* an old kernel: the race is accepted (below) */
        }
        login = read_loginuid(cred->pid);
        if (pidfd >= 0) {
                alive = syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) >= 0;
                close(pidfd);
        }
        if (!alive)
                return -ESRCH;
        /* Without SO_PEERPIDFD a reused pid could move the connection to
         * another process's account; that is the whole of the race. */
        if (login != LOGINUID_UNSET)
                *ret = login;
        return 0;
}

/* Every connection counts in its uid's own slot; one that claims another
 * login uid counts in that login uid's shared slot too. So a uid never
 * holds more than CLIENTS_PER_UID_MAX, whatever login uids it claims, and
 * the subordinate uids of one login share CLIENTS_PER_UID_MAX. */
int clients_admit(uid_t uid, uid_t account) {
        struct uid_count *own, *claimed = NULL;
        int r = 0;

        if (uid == 0)
                return 0;
        pthread_mutex_lock(&clients_mutex);
        own = find_slot(uid, uid, true);
        if (total >= CLIENTS_MAX || !own)
                r = -EMFILE;
        else if (own->n >= CLIENTS_PER_UID_MAX)
                r = -EUSERS;
        else {
                own->n++; /* taken now: the lookup below cannot hand it out */
                if (uid != account) {
                        claimed = find_slot(uid, account, true);
                        r = !claimed ? -EMFILE : claimed->n >= CLIENTS_PER_UID_MAX ? -EUSERS : 0;
                }
                if (r < 0)
                        own->n--;
                else {
                        if (claimed)
                                claimed->n++;
                        total++;
                }
        }
        pthread_mutex_unlock(&clients_mutex);
        return r;
}

/* With clients_mutex held: one ordinary connection less in uid's slots. */
static void ordinary_end(uid_t uid, uid_t account) {
        struct uid_count *own = find_slot(uid, uid, false), *claimed;

        if (!own || own->n == 0)
                return;
        own->n--;
        total--;
        claimed = uid != account ? find_slot(uid, account, false) : NULL;
        if (claimed && claimed->n > 0)
                claimed->n--;
}

void clients_release(uid_t uid, uid_t account) {
        if (uid == 0)
                return;
        pthread_mutex_lock(&clients_mutex);
        ordinary_end(uid, account);
        pthread_mutex_unlock(&clients_mutex);
}

/* Sessions count against the caller's own uid (only a home's owner, or
 * root, may hold one), never against a login uid it may have claimed. */
int clients_session_begin(uid_t uid, uid_t account) {
        struct uid_count *own;
        int r = 0;

        if (uid == 0)
                return 0;
        pthread_mutex_lock(&clients_mutex);
        own = find_slot(uid, uid, false);
        if (!own || own->n == 0)
                r = -EINVAL; /* not an admitted connection */
        else if (own->n_sessions >= CLIENTS_SESSIONS_PER_UID_MAX)
                r = -EUSERS;
        else {
                own->n_sessions++; /* first: the slot stays taken */
                ordinary_end(uid, account);
        }
        pthread_mutex_unlock(&clients_mutex);
        return r;
}

void clients_session_end(uid_t uid, uid_t account) {
        struct uid_count *own, *claimed;

        if (uid == 0)
                return;
        pthread_mutex_lock(&clients_mutex);
        own = find_slot(uid, uid, false);
        if (own && own->n_sessions > 0) {
                /* Back to an ordinary connection, which clients_release()
                 * then ends; it may exceed the ordinary limit briefly. */
                own->n++;
                own->n_sessions--;
                total++;
                claimed = uid != account ? find_slot(uid, account, true) : NULL;
                if (claimed)
                        claimed->n++;
        }
        pthread_mutex_unlock(&clients_mutex);
}
