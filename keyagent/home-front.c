/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A home and its front, the decisions front.c (the calls) does not make: a
 * front that hung up or was replaced while the home was activated means
 * the home is deactivated; the state a caller sees follows from both. */
#include <errno.h>
#include <unistd.h>

#include "home-ops.h"
#include "log.h"

bool home_check_front(struct home *h) {
        bool alive = home_front_alive(h);

        /* Unlocked, but homefsd is gone (a plain umount, a crash): nothing
         * reaches the data any more, so the key must not stay in use. */
        if (h->activated && !alive) {
                log_warning("homefsd for %s is gone while active; deactivating the home", h->user_name);
                home_teardown(h);
        }
        return alive;
}

enum home_state home_get_state(struct home *h) {
        bool alive = home_check_front(h);

        if (h->activated)
                return h->activation.suspended ? HOME_LOCKED : HOME_ACTIVE;
        if (alive)
                return HOME_INACTIVE;
        if (access(h->record->image_path, F_OK) < 0)
                return HOME_ABSENT;
        return HOME_UNMOUNTED;
}

int home_register_front(struct home *h, struct proto_conn *conn, const char *home_directory) {
        struct json_object *reply;
        int r = 0;

        pthread_mutex_lock(&h->lock);
        if (h->removed)
                r = -ENOENT;
        else if (!streq(home_directory, h->record->home_directory))
                r = -EINVAL;
        else if (home_front_alive(h))
                r = -EBUSY;
        if (r < 0)
                goto finish;

        /* Reply while holding the lock: once the conn is the home's, the next
         * lock holder may send calls on it, and they must come after this. */
        reply = proto_reply_new(NULL);
        r = proto_send(conn, reply, NULL, 0, false);
        json_object_put(reply);
        if (r < 0)
                goto finish;
        h->front = conn;
        h->front_lost = false;
        if (h->activated) {
                /* The previous homefsd died while active: the new one starts
                 * without the home, and so must the home (never a bare
                 * directory, and a crash does not leave the key in use
                 * unseen: see "Crashes" in docs/architecture.md). */
                log_warning("homefsd for %s was restarted while active; deactivating the home", h->user_name);
                home_teardown(h);
        }
        pthread_cond_broadcast(&h->front_changed);
finish:
        pthread_mutex_unlock(&h->lock);
        return r;
}
