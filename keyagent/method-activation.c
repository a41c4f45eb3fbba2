/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The methods that move a home between states: Unlock, Activate, Lock,
 * LockAll, Deactivate (docs/protocol.md, Methods). */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "base64.h"
#include "call.h"
#include "home-ops.h"
#include "json-util.h"
#include "log.h"
#include "methods.h"
#include "registry.h"
#include "ssh-key.h"

/* sshAgentSignature: {publicKey: "TYPE BASE64", signature: base64 of the
 * SSH signature blob}, offered instead of a password. */
struct ssh_offer {
        struct ssh_pubkey key;
        uint8_t *sig;
        size_t sig_len;
        bool given;
};

static void ssh_offer_clear(struct ssh_offer *o) {
        ssh_pubkey_clear(&o->key);
        if (o->sig)
                explicit_bzero(o->sig, o->sig_len);
        free(o->sig);
}

static int check_ssh_offer(struct json_object *v, void *dest) {
        struct ssh_offer *o = dest;
        struct strings {
                const char *line, *sig;
        } s = {};
        static const struct proto_field fields[] = {
                { "publicKey", PROTO_STRING, offsetof(struct strings, line), PROTO_REQUIRED,
                  BASE64_LENGTH(SSH_KEY_BLOB_MAX) + 64 },
                { "signature", PROTO_STRING, offsetof(struct strings, sig), PROTO_REQUIRED, BASE64_LENGTH(SSH_SIGNATURE_MAX) },
                {}
        };

        if (proto_dispatch(v, fields, &s, NULL) < 0 || ssh_pubkey_parse_line(s.line, &o->key, NULL) < 0 ||
            base64_decode(s.sig, (void **) &o->sig, &o->sig_len) < 0)
                return -EINVAL;
        o->given = true;
        return 0;
}

struct unlock_params {
        const char *password, *pin; /* NULL if absent or empty */
        struct ssh_offer ssh;
        bool presence_told;
};

static void unlock_params_clear(struct unlock_params *p) {
        ssh_offer_clear(&p->ssh);
}

/* Unlock makes a home usable whatever its state; Activate (activate_only)
 * only activates an inactive one. */
static int unlock_common(struct call *c, bool activate_only) {
        static const struct proto_field fields[] = {
                { "password", PROTO_STRING, offsetof(struct unlock_params, password), PROTO_EMPTY_IS_ABSENT, PASSWORD_MAX },
                { "pin", PROTO_STRING, offsetof(struct unlock_params, pin), PROTO_EMPTY_IS_ABSENT, PASSWORD_MAX },
                { "sshAgentSignature", PROTO_OBJECT, offsetof(struct unlock_params, ssh), 0, 0, check_ssh_offer },
                { "tokenUserPresence", PROTO_BOOL, offsetof(struct unlock_params, presence_told) },
                {}
        };
        _cleanup_(unlock_params_clear) struct unlock_params p = {};
        _cleanup_home_ struct home *h = NULL;
        struct unlock_secrets secrets;
        struct json_object *reply;
        bool already = false;
        int r;

        if ((r = call_params(c, fields, &p)) < 0)
                return r;
        if (p.ssh.given && (p.password || p.pin))
                return agent_error_set(&c->error, -EINVAL, AGENT_ERROR_INVALID_PARAMETER,
                                       "An SSH signature is offered alone, without a password or PIN.");
        secrets = (struct unlock_secrets) {
                .password = p.password,
                .pin = p.pin,
                .presence_told = p.presence_told,
                .ssh_key = p.ssh.given ? &p.ssh.key : NULL,
                .ssh_signature = p.ssh.sig,
                .ssh_signature_len = p.ssh.sig_len,
        };
        if ((r = call_home_acquire(c, &h)) < 0)
                return r;
        if (activate_only && h->activated && !home_is_active(h))
                return agent_error_set(&c->error, -EBUSY, AGENT_ERROR_HOME_LOCKED,
                                       "The home of %s is locked with its sessions kept; 'unlock' resumes it.", h->user_name);
        if ((r = home_unlock(h, &secrets, &already, &c->error)) < 0)
                return r;
        reply = json_object_new_object();
        json_object_object_add(reply, "state", json_object_new_string("active"));
        json_object_object_add(reply, "alreadyActive", json_object_new_boolean(already));
        return call_reply(c, reply);
}

int method_unlock(struct call *c) {
        return unlock_common(c, false);
}

int method_activate(struct call *c) {
        return unlock_common(c, true);
}

int method_deactivate(struct call *c) {
        _cleanup_json_ struct json_object *mapped = NULL;
        _cleanup_home_ struct home *h = NULL;
        struct json_object *reply;
        int r;

        if ((r = call_home_acquire(c, &h)) < 0)
                return r;
        /* Who maps home files: asked while the home is still mounted. */
        if (h->activated)
                mapped = home_mapped_by(h->record->home_directory);
        if ((r = home_deactivate(h, &c->error)) < 0)
                return r;
        reply = json_object_new_object();
        json_object_object_add(reply, "state", json_object_new_string("inactive"));
        json_object_object_add(reply, "mappedBy", TAKE_PTR(mapped) ?: json_object_new_array());
        return call_reply(c, reply);
}

/* Lock with sessions kept (home-lock.c). */
int method_lock(struct call *c) {
        _cleanup_home_ struct home *h = NULL;
        int r;

        if ((r = call_home_acquire(c, &h)) < 0 || (r = home_lock(h, &c->error)) < 0)
                return r;
        return call_reply_one(c, "state", json_object_new_string("locked"));
}

/* Before system suspend: lock every active home none of whose sessions
 * opted out (AcquireSession without suspend), as homed's LockAllHomes. */
int method_lock_all(struct call *c) {
        struct json_object *reply, *locked, *skipped, *not_frozen, *failed;
        struct home **homes;
        size_t n;
        int r;

        if ((r = registry_list(&homes, &n)) < 0)
                return r;
        locked = json_object_new_array();
        skipped = json_object_new_array();
        not_frozen = json_object_new_array();
        failed = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                struct home *h = homes[i];
                struct agent_error e = {};

                pthread_mutex_lock(&h->lock);
                if (h->removed || !home_is_active(h))
                        ;
                else if (h->n_sessions_awake > 0)
                        json_object_array_add(skipped, json_object_new_string(h->user_name));
                else if (home_lock(h, &e) < 0) {
                        json_object_array_add(failed, json_object_new_string(h->user_name));
                        log_error("lock-all: %s", e.message);
                } else {
                        json_object_array_add(locked, json_object_new_string(h->user_name));
                        if (!h->frozen)
                                json_object_array_add(not_frozen, json_object_new_string(h->user_name));
                }
                pthread_mutex_unlock(&h->lock);
        }
        registry_list_free(homes, n);
        reply = json_object_new_object();
        json_object_object_add(reply, "locked", locked);
        json_object_object_add(reply, "notFrozen", not_frozen);
        json_object_object_add(reply, "skipped", skipped);
        json_object_object_add(reply, "failed", failed);
        return call_reply(c, reply);
}
