/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

#include "clients.h"
#include "macro.h"

struct uid_count {
        uid_t uid;
        unsigned n;
};

/* At most CLIENTS_MAX non-root connections exist, so as many distinct uids. */
static struct uid_count counts[CLIENTS_MAX];
static unsigned total;
static pthread_mutex_t clients_mutex = PTHREAD_MUTEX_INITIALIZER;

static struct uid_count *find_slot(uid_t uid, bool create) {
        struct uid_count *empty = NULL;

        for (size_t i = 0; i < ELEMENTSOF(counts); i++) {
                if (counts[i].n > 0 && counts[i].uid == uid)
                        return &counts[i];
                if (counts[i].n == 0 && !empty)
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
