/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "home-ops.h"
#include "log.h"
#include "registry.h"
#include "session.h"

int session_acquire(struct home *h, const char *password, bool *already, uint64_t *ret_generation,
                    struct agent_error *e) {
        int r;

        *already = h->unlocked;
        r = home_check_login(h, e);
        if (r < 0)
                return r;
        if (!h->unlocked) {
                if (!password)
                        return agent_error_set(e, -ENOKEY, AGENT_ERROR_HOME_LOCKED,
                                               "The home of %s is locked; a password is needed to unlock it.", h->user_name);
                r = home_unlock(h, &(struct unlock_secrets) { .password = password }, already, e);
                if (r < 0)
                        return r;
        }
        h->n_sessions++;
        *ret_generation = h->lock_generation;
        log_info("session opened for %s (%u now)", h->user_name, h->n_sessions);
        return 0;
}

static void session_release(struct home *h, uint64_t generation) {
        struct agent_error e = {};

        pthread_mutex_lock(&h->lock);
        if (generation != h->lock_generation) {
                /* The home was locked since: that ended this session. */
                log_info("session of %s from before a lock closed; no effect", h->user_name);
                pthread_mutex_unlock(&h->lock);
                return;
        }
        if (h->n_sessions > 0)
                h->n_sessions--;
        log_info("session closed for %s (%u left)", h->user_name, h->n_sessions);
        if (h->n_sessions == 0 && h->unlocked && !h->removed && !h->record->keep_unlocked_after_logout) {
                log_info("last session of %s ended: locking", h->user_name);
                (void) home_lock(h, &e);
        }
        pthread_mutex_unlock(&h->lock);
}

/* The session connection accepts ReleaseSession only: the client may be a
 * privileged login process, and nothing else should ride on a connection that
 * lives as long as a login. Returns true when the session has ended (and was
 * released). */
static bool session_serve_one(struct home *h, uint64_t generation, struct proto_conn *conn) {
        struct json_object *msg = NULL, *reply;
        const char *method;
        bool release;
        int r;

        r = proto_recv(conn, &msg, NULL, NULL, -1);
        if (r < 0) {
                /* EOF or garbage: the login is gone. */
                session_release(h, generation);
                return true;
        }
        method = proto_method(msg);
        release = method && streq(method, "io.homefs.Agent.ReleaseSession");
        if (release)
                reply = proto_reply_new(NULL);
        else {
                struct json_object *p = json_object_new_object();

                json_object_object_add(p, "message", json_object_new_string(
                        "This connection holds a session; it accepts only ReleaseSession."));
                reply = proto_error_new(AGENT_ERROR_PERMISSION, p);
        }
        json_object_put(msg);
        if (!method)
                release = true;
        /* Release before answering, so that when the client sees the reply
         * the home is already locked if it had to be. */
        if (release)
                session_release(h, generation);
        (void) proto_send(conn, reply, NULL, 0, false);
        json_object_put(reply);
        return release;
}

void session_hold(struct home *h, uint64_t generation, struct proto_conn *conn, struct json_object *reply) {
        struct json_object *msg = proto_reply_new(reply);

        if (proto_send(conn, msg, NULL, 0, false) >= 0)
                while (!session_serve_one(h, generation, conn))
                        ;
        else
                session_release(h, generation);
        json_object_put(msg);
        proto_conn_free(conn);
        home_unref(h);
}
