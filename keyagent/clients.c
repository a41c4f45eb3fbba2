/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

#include "clients.h"
#include "macro.h"

struct uid_count {
        uid_t uid;
        unsigned n;          /* ordinary connections */
        unsigned n_sessions; /* connections holding a login session */
};

/* At most CLIENTS_MAX ordinary non-root connections exist, and a session
 * starts as one, so a slot per possible uid with a session is too much to
 * keep; slots are shared and found by uid. */
static struct uid_count counts[CLIENTS_MAX];
static unsigned total;
static pthread_mutex_t clients_mutex = PTHREAD_MUTEX_INITIALIZER;

static struct uid_count *find_slot(uid_t uid, bool create) {
        struct uid_count *empty = NULL;

        for (size_t i = 0; i < ELEMENTSOF(counts); i++) {
                bool used = counts[i].n > 0 || counts[i].n_sessions > 0;

                if (used && counts[i].uid == uid)
                        return &counts[i];
                if (!used && !empty)
                        empty = &counts[i];
        }
        if (create && empty)
                empty->uid = uid;
        return create ? empty : NULL;
}

int clients_admit(uid_t uid) {
        struct uid_count *c;
        int r = 0;

        if (uid == 0)
                return 0;
        pthread_mutex_lock(&clients_mutex);
        c = find_slot(uid, true);
        if (total >= CLIENTS_MAX || !c)
                r = -EMFILE;
        else if (c->n >= CLIENTS_PER_UID_MAX)
                r = -EUSERS;
        else {
                c->n++;
                total++;
        }
        pthread_mutex_unlock(&clients_mutex);
        return r;
}

void clients_release(uid_t uid) {
        struct uid_count *c;

        if (uid == 0)
                return;
        pthread_mutex_lock(&clients_mutex);
        c = find_slot(uid, false);
        if (c && c->n > 0) {
                c->n--;
                total--;
        }
        pthread_mutex_unlock(&clients_mutex);
}

int clients_session_begin(uid_t uid) {
        struct uid_count *c;
        int r = 0;

        if (uid == 0)
                return 0;
        pthread_mutex_lock(&clients_mutex);
        c = find_slot(uid, false);
        if (!c || c->n == 0)
                r = -EINVAL; /* not an admitted connection */
        else if (c->n_sessions >= CLIENTS_SESSIONS_PER_UID_MAX)
                r = -EUSERS;
        else {
                c->n--;
                total--;
                c->n_sessions++;
        }
        pthread_mutex_unlock(&clients_mutex);
        return r;
}

void clients_session_end(uid_t uid) {
        struct uid_count *c;

        if (uid == 0)
                return;
        pthread_mutex_lock(&clients_mutex);
        c = find_slot(uid, false);
        if (c && c->n_sessions > 0) {
                /* Back to an ordinary connection, which clients_release()
                 * then ends; it may exceed the ordinary limit briefly. */
                c->n_sessions--;
                c->n++;
                total++;
        }
        pthread_mutex_unlock(&clients_mutex);
}
