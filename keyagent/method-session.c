/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The methods after which the connection belongs to a home: AcquireSession
 * (a login session's reference, session.c), RegisterFront (homefsd,
 * front.c); and ReleaseSession on a connection that holds none. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>

#include "call.h"
#include "clients.h"
#include "freeze.h"
#include "front.h"
#include "home-ops.h"
#include "methods.h"
#include "registry.h"
#include "session.h"

/* The session outlives this call: the connection is handed to session.c,
 * which answers and holds it (with our reference on the home). */
int method_acquire_session(struct call *c) {
        struct params {
                bool suspend;
                const char *password; /* needed only if the home is not active */
        } p = {};
        static const struct proto_field fields[] = {
                { "suspend", PROTO_BOOL, offsetof(struct params, suspend) },
                { "password", PROTO_STRING, offsetof(struct params, password), 0, PASSWORD_MAX },
                {}
        };
        _cleanup_home_ struct home *h = NULL;
        struct json_object *reply;
        uint64_t generation = 0;
        bool already = false;
        int r;

        if ((r = call_params(c, fields, &p)) < 0 || (r = call_home_acquire(c, &h)) < 0)
                return r;
        if (clients_session_begin(c->peer_uid, c->account) < 0)
                return agent_error_set(&c->error, -EUSERS, AGENT_ERROR_HOME_BUSY,
                                       "You hold %u sessions already; log out of some first.", CLIENTS_SESSIONS_PER_UID_MAX);
        r = session_acquire(h, p.password, p.suspend, &already, &generation, &c->error);
        /* Now, not by the dispatcher's wipe: that comes after session_hold(),
         * which serves the connection for the whole session. */
        proto_wipe_string(c->params, "password");
        if (r < 0) {
                clients_session_end(c->peer_uid, c->account);
                return r;
        }
        /* So that lock can freeze the session (where systemd does not). */
        (void) freeze_adopt(c->conn->fd, h->record->uid, h->user_name);
        reply = json_object_new_object();
        json_object_object_add(reply, "state", json_object_new_string("active"));
        json_object_object_add(reply, "alreadyActive", json_object_new_boolean(already));
        c->conn_taken = true;
        pthread_mutex_unlock(&h->lock);
        session_hold(TAKE_PTR(h), generation, c->conn, p.suspend, reply);
        clients_session_end(c->peer_uid, c->account);
        return 0;
}

/* A connection that holds a session never gets here (session.c serves it). */
int method_release_session(struct call *c) {
        return agent_error_set(&c->error, -EPERM, AGENT_ERROR_PERMISSION,
                               "This connection holds no session; only the connection that acquired one can release it.");
}

/* homefsd attaching to its home; home_register_front() answers on the
 * connection, which the agent keeps for its io.homefs.Front.* calls. */
int method_register_front(struct call *c) {
        struct params {
                const char *home_dir;
        } p = {};
        static const struct proto_field fields[] = {
                { "homeDirectory", PROTO_STRING, offsetof(struct params, home_dir), PROTO_REQUIRED, PATH_MAX },
                {}
        };
        _cleanup_(home_unrefp) struct home *h = NULL;
        int r;

        if ((r = call_params(c, fields, &p)) < 0 || (r = call_home_get(c, &h)) < 0)
                return r;
        r = home_register_front(h, c->conn, p.home_dir);
        if (r == -EBUSY)
                return agent_error_set(&c->error, r, AGENT_ERROR_HOME_BUSY, "Another homefsd serves the home of %s already.",
                                       h->user_name);
        if (r == -EINVAL)
                return agent_error_set(&c->error, r, AGENT_ERROR_INVALID_PARAMETER,
                                       "homeDirectory %s does not match the record of %s.", p.home_dir, h->user_name);
        if (r < 0)
                return r;
        c->conn_taken = true;
        return 0;
}
