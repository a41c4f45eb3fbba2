/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "activation.h"
#include "agent-config.h"
#include "proto.h"
#include "ratelimit.h"
#include "record.h"

/* One home the agent knows: its record and, while activated, what keeps it
 * activated. Every field below `lock` is guarded by it; a transition (unlock,
 * lock, passwd, remove) holds it from start to end, so they never interleave
 * for one home while different homes proceed in parallel. */

enum home_state {
        HOME_ABSENT,    /* record, but no image */
        HOME_UNMOUNTED, /* image, no front mounted */
        HOME_INACTIVE,  /* front mounted, no key */
        HOME_ACTIVE,    /* front passes through to the decrypted filesystem */
        HOME_LOCKED,    /* mounted, sessions kept, requests held, key wiped (home-lock.c) */
};

const char *home_state_to_string(enum home_state s);

struct home {
        char *user_name;               /* immutable */
        uid_t uid;                     /* immutable: the record's, fixed at create */
        const struct agent_config *config; /* immutable: the agent's settings */
        unsigned n_ref;                /* guarded by the registry's mutex */

        pthread_mutex_t lock;
        pthread_cond_t front_changed;  /* signalled when a front registers */
        bool removed;                  /* gone from the registry; give up */
        struct user_record *record;
        struct proto_conn *front;      /* homefsd's connection, NULL if none */
        bool front_lost;               /* it hung up; not yet handled (front-watch.c) */
        bool activated;                /* an activation exists: active or locked */
        struct activation activation;
        int mount_fd;                  /* the detached backing mount, or -1 */
        struct ratelimit ratelimit;
        unsigned n_sessions;           /* login sessions holding the home (session.c) */
        unsigned n_sessions_awake;     /* of those, the ones without suspend: LockAll skips the home */
        char *frozen_cgroup;           /* frozen while locked (home-lock.c), or NULL */
        bool frozen;                   /* ... and every process in it stopped */
        uint64_t pkcs11_probe_usec;    /* the last token probe (unlock-methods.c), 0 never */
        bool pkcs11_probe_present;     /* and what it found */
        uint64_t activation_generation; /* +1 at every deactivation: sessions from before end without effect */
};

/* Active: activated and not locked with sessions kept (the key is in use and
 * the backing filesystem answers). */
static inline bool home_is_active(const struct home *h) {
        return h->activated && !h->activation.suspended;
}

/* False once the front's connection has hung up (homefsd crashed or
 * stopped); the dead connection is then dropped and front_lost set. Home's
 * lock held. */
bool home_front_alive(struct home *h);

/* The home's private runtime directory "<runtime>/homes/<user>", made if
 * missing (mode 0700). */
int home_runtime_dir(const struct home *h, char *buf, size_t size);
