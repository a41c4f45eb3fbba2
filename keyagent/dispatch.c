/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "agent-error.h"
#include "base64.h"
#include "agent-config.h"
#include "audit.h"
#include "clients.h"
#include "dispatch.h"
#include "freeze.h"
#include "front.h"
#include "home-ops.h"
#include "log.h"
#include "registry.h"
#include "session.h"
#include "ssh-unlock.h"
#include "ssh-key.h"
#include "ssh-keys.h"
#include "secret.h"
#include "spool.h"
#include "token-list.h"

#define PASSWORD_MAX 1024U
#define USER_NAME_MAX 64U

struct call {
        const struct agent_config *config;
        struct proto_conn *conn;
        uid_t peer_uid;
        pid_t peer_pid;
        uid_t account; /* what the connection bounds count against (clients.h) */
        struct json_object *params;
        struct agent_error error;
        bool conn_taken; /* RegisterFront: the conn now belongs to a home */
        bool secret_reply; /* the reply carries a secret (a new recovery key) */
};

typedef struct json_object *(*method_fn)(struct call *c, int *r);

static int invalid_parameter(struct call *c, const char *name, int r) {
        c->error.parameter = name;
        return agent_error_set(&c->error, r == -ENOENT ? -EINVAL : r, AGENT_ERROR_INVALID_PARAMETER,
                               r == -ENOENT ? "The parameter '%s' is missing." : "The parameter '%s' is invalid.", name);
}

/* Look the home up and check the caller may touch it: root, or its owner. */
static int get_home(struct call *c, struct home **ret) {
        const char *name;
        struct home *h;
        int r;

        r = proto_get_string(c->params, "userName", USER_NAME_MAX, &name);
        if (r < 0 || !user_name_is_valid(name))
                return invalid_parameter(c, "userName", r < 0 ? r : -EINVAL);
        r = registry_get(name, &h);
        /* A user asking about a home that is not theirs learns nothing more
         * than one asking about a home that does not exist. */
        if (r < 0 && c->peer_uid != 0)
                return agent_error_set(&c->error, -EPERM, AGENT_ERROR_PERMISSION, "You may not access the home of %s.", name);
        if (r < 0)
                return agent_error_set(&c->error, r, AGENT_ERROR_NO_SUCH_HOME, "There is no home for %s.", name);
        if (c->peer_uid != 0 && c->peer_uid != h->record->uid) {
                home_unref(h);
                return agent_error_set(&c->error, -EPERM, AGENT_ERROR_PERMISSION, "You may not access the home of %s.", name);
        }
        *ret = h;
        return 0;
}

static int require_root(struct call *c) {
        if (c->peer_uid != 0)
                return agent_error_set(&c->error, -EPERM, AGENT_ERROR_PERMISSION, "Only root may do this.");
        return 0;
}

static int get_password(struct call *c, const char *key, const char **ret) {
        int r = proto_get_string(c->params, key, PASSWORD_MAX, ret);

        return r < 0 ? invalid_parameter(c, key, r) : 0;
}

/* An optional secret: NULL if absent or empty. */
static int get_optional_secret(struct call *c, const char *key, const char **ret) {
        int r = proto_get_string(c->params, key, PASSWORD_MAX, ret);

        if (r == -ENOENT || (r >= 0 && (*ret)[0] == 0)) {
                *ret = NULL;
                return 0;
        }
        return r < 0 ? invalid_parameter(c, key, r) : 0;
}

/* Run fn on the home with its lock held. */
#define WITH_HOME(c, h, r, body)                                             \
        do {                                                                 \
                r = get_home(c, &h);                                         \
                if (r < 0)                                                   \
                        break;                                               \
                pthread_mutex_lock(&h->lock);                                \
                if (h->removed)                                              \
                        r = agent_error_set(&c->error, -ENOENT, AGENT_ERROR_NO_SUCH_HOME, "There is no home for %s.", h->user_name); \
                else                                                         \
                        body;                                                \
                pthread_mutex_unlock(&h->lock);                              \
                home_unref(h);                                               \
        } while (0)

static struct json_object *method_create(struct call *c, int *r) {
        struct json_object *record, *reply;
        struct user_record *created = NULL;
        const char *password;
        unsigned long long percent = 0;
        struct create_options o = {};
        bool overcommitted = false;

        if ((*r = require_root(c)) < 0)
                return NULL;
        if (!json_object_object_get_ex(c->params, "record", &record) || !json_object_is_type(record, json_type_object)) {
                *r = invalid_parameter(c, "record", -ENOENT);
                return NULL;
        }
        if ((*r = get_password(c, "password", &password)) < 0)
                return NULL;
        if (proto_get_u64(c->params, "diskSizePercent", &percent) == -EINVAL || percent > 100) {
                *r = invalid_parameter(c, "diskSizePercent", -EINVAL);
                return NULL;
        }
        if (proto_get_bool(c->params, "adoptImage", &o.adopt) == -EINVAL) {
                *r = invalid_parameter(c, "adoptImage", -EINVAL);
                return NULL;
        }
        if (proto_get_bool(c->params, "allowOvercommit", &o.allow_overcommit) == -EINVAL) {
                *r = invalid_parameter(c, "allowOvercommit", -EINVAL);
                return NULL;
        }
        o.disk_size_percent = (unsigned) percent;
        *r = home_create(c->config, record, password, &o, &created, &overcommitted, &c->error);
        if (*r < 0)
                return NULL;
        reply = json_object_new_object();
        json_object_object_add(reply, "record", user_record_to_json(created));
        json_object_object_add(reply, "diskSize", json_object_new_uint64(created->disk_size));
        json_object_object_add(reply, "overcommitted", json_object_new_boolean(overcommitted));
        user_record_free(created);
        return reply;
}

static struct json_object *home_summary(struct home *h) {
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "userName", json_object_new_string(h->user_name));
        json_object_object_add(o, "uid", json_object_new_int64(h->record->uid));
        json_object_object_add(o, "gid", json_object_new_int64(h->record->gid));
        if (h->record->shell)
                json_object_object_add(o, "shell", json_object_new_string(h->record->shell));
        if (h->record->real_name)
                json_object_object_add(o, "realName", json_object_new_string(h->record->real_name));
        json_object_object_add(o, "homeDirectory", json_object_new_string(h->record->home_directory));
        json_object_object_add(o, "imagePath", json_object_new_string(h->record->image_path));
        json_object_object_add(o, "state", json_object_new_string(home_state_to_string(home_get_state(h))));
        home_add_sizes(h, o);
        return o;
}

static struct json_object *method_list(struct call *c, int *r) {
        struct json_object *reply, *arr;
        struct home **homes;
        size_t n;

        *r = registry_list(&homes, &n);
        if (*r < 0)
                return NULL;
        arr = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                struct home *h = homes[i];

                pthread_mutex_lock(&h->lock);
                if (!h->removed && (c->peer_uid == 0 || c->peer_uid == h->record->uid))
                        json_object_array_add(arr, home_summary(h));
                pthread_mutex_unlock(&h->lock);
        }
        registry_list_free(homes, n);
        reply = json_object_new_object();
        json_object_object_add(reply, "homes", arr);
        return reply;
}

static struct json_object *method_inspect(struct call *c, int *r) {
        struct json_object *reply = NULL;
        struct home *h;

        WITH_HOME(c, h, *r, {
                reply = home_summary(h);
                json_object_object_add(reply, "record", user_record_to_json(h->record));
                json_object_object_add(reply, "sessions", json_object_new_int64(h->n_sessions));
                home_add_details(h, reply);
        });
        return reply;
}

static struct json_object *method_remove(struct call *c, int *r) {
        bool force = false;
        struct home *h;

        if ((*r = require_root(c)) < 0)
                return NULL;
        if (proto_get_bool(c->params, "force", &force) == -EINVAL) {
                *r = invalid_parameter(c, "force", -EINVAL);
                return NULL;
        }
        WITH_HOME(c, h, *r, *r = home_remove(h, force, &c->error));
        return *r < 0 ? NULL : json_object_new_object();
}

/* sshAgentSignature: {publicKey: "TYPE BASE64", signature: base64 of the
 * SSH signature blob}, offered instead of a password. */
struct ssh_offer {
        struct ssh_pubkey key;
        uint8_t *sig;
        size_t sig_len;
};

static void ssh_offer_clear(struct ssh_offer *o) {
        ssh_pubkey_clear(&o->key);
        if (o->sig)
                explicit_bzero(o->sig, o->sig_len);
        free(o->sig);
}

static int get_ssh_offer(struct call *c, struct ssh_offer *o, struct unlock_secrets *s) {
        struct json_object *v;
        const char *line, *sig;

        if (!json_object_object_get_ex(c->params, "sshAgentSignature", &v))
                return 0;
        if (!json_object_is_type(v, json_type_object) ||
            proto_get_string(v, "publicKey", BASE64_LENGTH(SSH_KEY_BLOB_MAX) + 64, &line) < 0 ||
            proto_get_string(v, "signature", BASE64_LENGTH(SSH_SIGNATURE_MAX), &sig) < 0 ||
            ssh_pubkey_parse_line(line, &o->key, NULL) < 0 || base64_decode(sig, (void **) &o->sig, &o->sig_len) < 0)
                return invalid_parameter(c, "sshAgentSignature", -EINVAL);
        if (s->password || s->pin)
                return agent_error_set(&c->error, -EINVAL, AGENT_ERROR_INVALID_PARAMETER,
                                       "An SSH signature is offered alone, without a password or PIN.");
        s->ssh_key = &o->key;
        s->ssh_signature = o->sig;
        s->ssh_signature_len = o->sig_len;
        return 0;
}

/* Unlock makes a home usable whatever its state; Activate (activate_only)
 * only activates an inactive one. */
static struct json_object *unlock_common(struct call *c, int *r, bool activate_only) {
        _cleanup_(ssh_offer_clear) struct ssh_offer ssh = {};
        struct unlock_secrets secrets = {};
        struct json_object *reply;
        bool already = false;
        struct home *h;

        if ((*r = get_optional_secret(c, "password", &secrets.password)) < 0 ||
            (*r = get_optional_secret(c, "pin", &secrets.pin)) < 0 || (*r = get_ssh_offer(c, &ssh, &secrets)) < 0)
                return NULL;
        if (proto_get_bool(c->params, "tokenUserPresence", &secrets.presence_told) == -EINVAL) {
                *r = invalid_parameter(c, "tokenUserPresence", -EINVAL);
                return NULL;
        }
        WITH_HOME(c, h, *r, {
                if (activate_only && h->activated && !home_is_active(h))
                        *r = agent_error_set(&c->error, -EBUSY, AGENT_ERROR_HOME_LOCKED,
                                             "The home of %s is locked with its sessions kept; 'unlock' resumes it.",
                                             h->user_name);
                else
                        *r = home_unlock(h, &secrets, &already, &c->error);
        });
        if (*r < 0)
                return NULL;
        reply = json_object_new_object();
        json_object_object_add(reply, "state", json_object_new_string("active"));
        json_object_object_add(reply, "alreadyActive", json_object_new_boolean(already));
        return reply;
}

static struct json_object *method_unlock(struct call *c, int *r) {
        return unlock_common(c, r, false);
}

static struct json_object *method_activate(struct call *c, int *r) {
        return unlock_common(c, r, true);
}

static struct json_object *method_deactivate(struct call *c, int *r) {
        struct json_object *reply, *mapped = NULL;
        struct home *h;

        /* Who maps home files: asked while the home is still mounted. */
        WITH_HOME(c, h, *r, (mapped = h->activated ? home_mapped_by(h->record->home_directory) : NULL,
                             *r = home_deactivate(h, &c->error)));
        if (*r < 0) {
                json_object_put(mapped);
                return NULL;
        }
        reply = json_object_new_object();
        json_object_object_add(reply, "state", json_object_new_string("inactive"));
        json_object_object_add(reply, "mappedBy", mapped ?: json_object_new_array());
        return reply;
}

/* Lock with sessions kept (home-lock.c). */
static struct json_object *method_lock(struct call *c, int *r) {
        struct json_object *reply;
        struct home *h;

        WITH_HOME(c, h, *r, *r = home_lock(h, &c->error));
        if (*r < 0)
                return NULL;
        reply = json_object_new_object();
        json_object_object_add(reply, "state", json_object_new_string("locked"));
        return reply;
}

/* Before system suspend: lock every active home none of whose sessions
 * opted out (AcquireSession without suspend), as homed's LockAllHomes. */
static struct json_object *method_lock_all(struct call *c, int *r) {
        struct json_object *reply, *locked, *skipped, *not_frozen, *failed;
        struct home **homes;
        size_t n;

        if ((*r = require_root(c)) < 0 || (*r = registry_list(&homes, &n)) < 0)
                return NULL;
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
        return reply;
}

static struct json_object *method_passwd(struct call *c, int *r) {
        const char *old_pw, *new_pw;
        struct home *h;

        if ((*r = get_password(c, "password", &old_pw)) < 0 || (*r = get_password(c, "newPassword", &new_pw)) < 0)
                return NULL;
        if (new_pw[0] == 0) {
                *r = agent_error_set(&c->error, -EINVAL, AGENT_ERROR_INVALID_PARAMETER, "The new password is empty.");
                return NULL;
        }
        WITH_HOME(c, h, *r, *r = home_passwd(h, old_pw, new_pw, &c->error));
        return *r < 0 ? NULL : json_object_new_object();
}

/* The session outlives this call: the connection is handed to session.c,
 * which answers and holds it (with our reference on the home). */
static struct json_object *method_acquire_session(struct call *c, int *r) {
        struct json_object *reply;
        const char *password = NULL;
        bool already = false, suspend = false;
        uint64_t generation = 0;
        struct home *h;

        if (proto_get_bool(c->params, "suspend", &suspend) == -EINVAL) {
                *r = invalid_parameter(c, "suspend", -EINVAL);
                return NULL;
        }
        *r = proto_get_string(c->params, "password", PASSWORD_MAX, &password);
        if (*r == -ENOENT)
                *r = 0;
        else if (*r < 0) {
                *r = invalid_parameter(c, "password", *r);
                return NULL;
        }
        if ((*r = get_home(c, &h)) < 0)
                return NULL;
        if (clients_session_begin(c->peer_uid, c->account) < 0) {
                home_unref(h);
                *r = agent_error_set(&c->error, -EUSERS, AGENT_ERROR_HOME_BUSY,
                                     "You hold %u sessions already; log out of some first.", CLIENTS_SESSIONS_PER_UID_MAX);
                return NULL;
        }
        pthread_mutex_lock(&h->lock);
        if (h->removed)
                *r = agent_error_set(&c->error, -ENOENT, AGENT_ERROR_NO_SUCH_HOME, "There is no home for %s.", h->user_name);
        else
                *r = session_acquire(h, password, suspend, &already, &generation, &c->error);
        /* So that lock can freeze the session (where systemd does not). */
        if (*r >= 0)
                (void) freeze_adopt(c->conn->fd, h->record->uid, h->user_name);
        pthread_mutex_unlock(&h->lock);
        proto_wipe_string(c->params, "password");
        if (*r < 0) {
                clients_session_end(c->peer_uid, c->account);
                home_unref(h);
                return NULL;
        }
        reply = json_object_new_object();
        json_object_object_add(reply, "state", json_object_new_string("active"));
        json_object_object_add(reply, "alreadyActive", json_object_new_boolean(already));
        c->conn_taken = true;
        session_hold(h, generation, c->conn, suspend, reply);
        clients_session_end(c->peer_uid, c->account);
        return NULL;
}

/* A connection that holds a session never gets here (session.c serves it). */
static struct json_object *method_release_session(struct call *c, int *r) {
        *r = agent_error_set(&c->error, -EPERM, AGENT_ERROR_PERMISSION,
                             "This connection holds no session; only the connection that acquired one can release it.");
        return NULL;
}

/* Public keys only: any local caller may ask (sshd's AuthorizedKeysCommand
 * runs unprivileged). */
static struct json_object *method_get_ssh_keys(struct call *c, int *r) {
        struct json_object *reply, *keys = NULL;
        const char *name;
        struct home *h;

        if ((*r = proto_get_string(c->params, "userName", USER_NAME_MAX, &name)) < 0 || !user_name_is_valid(name)) {
                *r = invalid_parameter(c, "userName", *r < 0 ? *r : -EINVAL);
                return NULL;
        }
        if ((*r = registry_get(name, &h)) < 0) {
                *r = agent_error_set(&c->error, *r, AGENT_ERROR_NO_SUCH_HOME, "There is no home for %s.", name);
                return NULL;
        }
        pthread_mutex_lock(&h->lock);
        *r = h->removed ? agent_error_set(&c->error, -ENOENT, AGENT_ERROR_NO_SUCH_HOME, "There is no home for %s.", name)
                        : ssh_keys_get(h, &keys);
        pthread_mutex_unlock(&h->lock);
        home_unref(h);
        if (*r < 0)
                return NULL;
        reply = json_object_new_object();
        json_object_object_add(reply, "keys", keys);
        return reply;
}

/* The challenges of the home's SSH agent keys, for the user themself (the
 * SSH stub runs as the user) and root; anyone else gets PermissionDenied,
 * home or not, as for every per-home method, so this tells other users
 * nothing (not even whether the user exists). */
static struct json_object *method_get_ssh_unlock_challenges(struct call *c, int *r) {
        struct json_object *reply, *list = NULL;
        struct home *h;

        WITH_HOME(c, h, *r, *r = home_ssh_unlock_challenges(h, &list, &c->error));
        if (*r < 0)
                return NULL;
        reply = json_object_new_object();
        json_object_object_add(reply, "challenges", list);
        return reply;
}

static struct json_object *method_authenticate(struct call *c, int *r) {
        const char *password;
        struct home *h;

        if ((*r = get_password(c, "password", &password)) < 0)
                return NULL;
        WITH_HOME(c, h, *r, *r = home_authenticate(h, password, &c->error));
        return *r < 0 ? NULL : json_object_new_object();
}

static struct json_object *method_update(struct call *c, int *r) {
        struct json_object *changes, *reply = NULL;
        struct home *h;

        if ((*r = require_root(c)) < 0)
                return NULL;
        if (!json_object_object_get_ex(c->params, "changes", &changes) || !json_object_is_type(changes, json_type_object)) {
                *r = invalid_parameter(c, "changes", -ENOENT);
                return NULL;
        }
        WITH_HOME(c, h, *r, {
                *r = home_update(h, changes, &c->error);
                if (*r >= 0) {
                        reply = json_object_new_object();
                        json_object_object_add(reply, "record", user_record_to_json(h->record));
                }
        });
        return reply;
}

/* diskSize: bytes, or "max" (the host's free space allows), "min" (the data
 * allows); password: needed to shrink. */
static int get_resize_size(struct call *c, uint64_t *ret) {
        struct json_object *v;
        unsigned long long u;

        if (json_object_object_get_ex(c->params, "diskSize", &v) && json_object_is_type(v, json_type_string)) {
                if (streq(json_object_get_string(v), "max"))
                        *ret = 0;
                else if (streq(json_object_get_string(v), "min"))
                        *ret = UINT64_MAX;
                else
                        return invalid_parameter(c, "diskSize", -EINVAL);
                return 0;
        }
        if (proto_get_u64(c->params, "diskSize", &u) < 0 || u == 0 || u == UINT64_MAX)
                return invalid_parameter(c, "diskSize", -EINVAL);
        *ret = u;
        return 0;
}

static struct json_object *method_resize(struct call *c, int *r) {
        const char *password = NULL;
        uint64_t size = 0, reached = 0;
        bool pending = false, allow_overcommit = false, overcommitted = false;
        struct json_object *reply;
        struct home *h;

        if ((*r = require_root(c)) < 0 || (*r = get_resize_size(c, &size)) < 0)
                return NULL;
        if (json_object_object_get_ex(c->params, "password", NULL) && (*r = get_password(c, "password", &password)) < 0)
                return NULL;
        if (proto_get_bool(c->params, "allowOvercommit", &allow_overcommit) == -EINVAL) {
                *r = invalid_parameter(c, "allowOvercommit", -EINVAL);
                return NULL;
        }
        WITH_HOME(c, h, *r, *r = home_resize(h, size, password, allow_overcommit, &reached, &pending, &overcommitted,
                                             &c->error));
        if (*r < 0)
                return NULL;
        reply = json_object_new_object();
        json_object_object_add(reply, "diskSize", json_object_new_uint64(reached));
        json_object_object_add(reply, "fileSystemPending", json_object_new_boolean(pending));
        json_object_object_add(reply, "overcommitted", json_object_new_boolean(overcommitted));
        return reply;
}

/* run-when-unlocked: queue argv for the next unlock. The caller checked
 * the state; the agent queues whatever the state. */
static struct json_object *method_enqueue(struct call *c, int *r) {
        struct json_object *argv = NULL, *reply;
        uint64_t id = 0;
        struct home *h;

        json_object_object_get_ex(c->params, "argv", &argv);
        if ((*r = spool_check_argv(argv)) < 0) {
                *r = agent_error_set(&c->error, -EINVAL, AGENT_ERROR_INVALID_PARAMETER,
                                     "The command must be 1 to %u arguments of at most %u bytes in all.",
                                     SPOOL_ARGS_MAX, SPOOL_JOB_MAX);
                return NULL;
        }
        WITH_HOME(c, h, *r, *r = spool_add(h->user_name, h->record->uid, argv, &id));
        if (*r == -EDQUOT)
                agent_error_set(&c->error, *r, AGENT_ERROR_QUEUE_FULL,
                                "The job queue of this home is full (%u jobs); see 'homefsctl queue'.", SPOOL_JOBS_MAX);
        if (*r < 0)
                return NULL;
        reply = json_object_new_object();
        json_object_object_add(reply, "id", json_object_new_uint64(id));
        return reply;
}

static struct json_object *method_list_queue(struct call *c, int *r) {
        struct json_object *jobs = NULL, *reply;
        struct home *h;

        WITH_HOME(c, h, *r, *r = spool_list(h->user_name, &jobs));
        if (*r < 0)
                return NULL;
        reply = json_object_new_object();
        json_object_object_add(reply, "jobs", jobs);
        return reply;
}

static struct json_object *method_clear_queue(struct call *c, int *r) {
        struct json_object *reply;
        unsigned n = 0;
        struct home *h;

        WITH_HOME(c, h, *r, *r = spool_clear(h->user_name, &n));
        if (*r < 0)
                return NULL;
        reply = json_object_new_object();
        json_object_object_add(reply, "removed", json_object_new_int((int) n));
        return reply;
}

static struct json_object *method_list_credentials(struct call *c, int *r) {
        struct json_object *reply = NULL, *list = NULL;
        struct home *h;

        WITH_HOME(c, h, *r, *r = home_list_credentials(h, &list, &c->error));
        if (*r < 0)
                return NULL;
        reply = json_object_new_object();
        json_object_object_add(reply, "credentials", list);
        return reply;
}

/* A user enrolling into their own home picks neither the code the agent
 * loads (a PKCS#11 module-path) nor the socket it connects to: only p11-kit's
 * registered modules, and "auto" or a device the agent was configured with. */
static bool device_choice_allowed(const struct agent_config *config, const struct credential_spec *spec) {
        if (spec->pkcs11_uri && (strstr(spec->pkcs11_uri, "module-path") || strstr(spec->pkcs11_uri, "module-name")))
                return false;
        if (!spec->fido2_device || streq(spec->fido2_device, "auto"))
                return true;
        for (unsigned i = 0; i < config->n_fido2_devices; i++)
                if (streq(spec->fido2_device, config->fido2_devices[i]))
                        return true;
        return false;
}

#define SSH_UNLOCK_KEYS_MAX 16U

/* sshUnlockKeys: [{publicKey, salt, signature}] (strings; checked further
 * by the enrollment). */
static int get_ssh_unlock_keys(struct call *c, struct json_object **ret) {
        struct json_object *v;
        size_t n;

        *ret = NULL;
        if (!json_object_object_get_ex(c->params, "sshUnlockKeys", &v))
                return 0;
        if (!json_object_is_type(v, json_type_array) || (n = json_object_array_length(v)) == 0 || n > SSH_UNLOCK_KEYS_MAX)
                return invalid_parameter(c, "sshUnlockKeys", -EINVAL);
        for (size_t i = 0; i < n; i++) {
                struct json_object *k = json_object_array_get_idx(v, i);
                const char *s;

                if (!json_object_is_type(k, json_type_object) ||
                    proto_get_string(k, "publicKey", BASE64_LENGTH(SSH_KEY_BLOB_MAX) + 64, &s) < 0 ||
                    proto_get_string(k, "salt", 64, &s) < 0 ||
                    proto_get_string(k, "signature", BASE64_LENGTH(SSH_SIGNATURE_MAX), &s) < 0)
                        return invalid_parameter(c, "sshUnlockKeys", -EINVAL);
        }
        *ret = v;
        return 0;
}

static int get_credential_spec(struct call *c, struct credential_spec *spec) {
        int r;

        *spec = (struct credential_spec) {};
        if (proto_get_bool(c->params, "recoveryKey", &spec->recovery_key) == -EINVAL)
                return invalid_parameter(c, "recoveryKey", -EINVAL);
        r = proto_get_string(c->params, "pkcs11TokenUri", PATH_MAX, &spec->pkcs11_uri);
        if (r < 0 && r != -ENOENT)
                return invalid_parameter(c, "pkcs11TokenUri", r);
        r = get_optional_secret(c, "pin", &spec->pin);
        if (r < 0)
                return r;
        r = proto_get_string(c->params, "fido2Device", PATH_MAX, &spec->fido2_device);
        if (r < 0 && r != -ENOENT)
                return invalid_parameter(c, "fido2Device", r);
        spec->fido2_with_client_pin = spec->fido2_with_up = true;
        if (proto_get_bool(c->params, "fido2WithClientPin", &spec->fido2_with_client_pin) == -EINVAL)
                return invalid_parameter(c, "fido2WithClientPin", -EINVAL);
        if (proto_get_bool(c->params, "fido2WithUserPresence", &spec->fido2_with_up) == -EINVAL)
                return invalid_parameter(c, "fido2WithUserPresence", -EINVAL);
        if (proto_get_bool(c->params, "fido2WithUserVerification", &spec->fido2_with_uv) == -EINVAL)
                return invalid_parameter(c, "fido2WithUserVerification", -EINVAL);
        r = get_ssh_unlock_keys(c, &spec->ssh_unlock_keys);
        if (r < 0)
                return r;
        if (c->peer_uid != 0 && !device_choice_allowed(c->config, spec))
                return agent_error_set(&c->error, -EPERM, AGENT_ERROR_PERMISSION,
                                       "Only root may name a PKCS#11 module or a FIDO2 device path; use --fido2-device=auto "
                                       "or ask an administrator.");
        if (!spec->recovery_key && !spec->pkcs11_uri && !spec->fido2_device && !spec->ssh_unlock_keys)
                return agent_error_set(&c->error, -EINVAL, AGENT_ERROR_INVALID_PARAMETER, "No credential to add was given.");
        return 0;
}

/* Root, or the owner proving themselves with the password. */
static struct json_object *method_add_credentials(struct call *c, int *r) {
        _cleanup_secret_ char *recovery = NULL;
        struct credential_spec spec;
        struct json_object *reply;
        const char *password;
        struct home *h;

        if ((*r = get_password(c, "password", &password)) < 0 || (*r = get_credential_spec(c, &spec)) < 0)
                return NULL;
        WITH_HOME(c, h, *r, *r = home_add_credentials(h, password, &spec, &recovery, &c->error));
        if (*r < 0)
                return NULL;
        reply = json_object_new_object();
        if (recovery) {
                json_object_object_add(reply, "recoveryKey", json_object_new_string(recovery));
                c->secret_reply = true;
        }
        return reply;
}

static struct json_object *method_remove_credential(struct call *c, int *r) {
        unsigned long long slot;
        struct home *h;

        if ((*r = require_root(c)) < 0)
                return NULL;
        if (proto_get_u64(c->params, "keyslot", &slot) < 0 || slot > 1000) {
                *r = invalid_parameter(c, "keyslot", -EINVAL);
                return NULL;
        }
        WITH_HOME(c, h, *r, *r = home_remove_credential(h, (int) slot, &c->error));
        return *r < 0 ? NULL : json_object_new_object();
}

/* Anyone may see which keys could be enrolled: token labels and URIs, no
 * secrets. */
static struct json_object *method_list_security_tokens(struct call *c, int *r) {
        return security_tokens_list(c->config);
}

static struct json_object *method_register_front(struct call *c, int *r) {
        const char *name, *home_dir;
        struct home *h;

        if ((*r = require_root(c)) < 0)
                return NULL;
        if ((*r = proto_get_string(c->params, "userName", USER_NAME_MAX, &name)) < 0 || !user_name_is_valid(name)) {
                *r = invalid_parameter(c, "userName", *r < 0 ? *r : -EINVAL);
                return NULL;
        }
        if ((*r = proto_get_string(c->params, "homeDirectory", PATH_MAX, &home_dir)) < 0) {
                *r = invalid_parameter(c, "homeDirectory", *r);
                return NULL;
        }
        if ((*r = registry_get(name, &h)) < 0) {
                *r = agent_error_set(&c->error, *r, AGENT_ERROR_NO_SUCH_HOME, "There is no home for %s.", name);
                return NULL;
        }
        *r = home_register_front(h, c->conn, home_dir);
        if (*r >= 0)
                c->conn_taken = true;
        else if (*r == -EBUSY)
                agent_error_set(&c->error, *r, AGENT_ERROR_HOME_BUSY, "Another homefsd serves the home of %s already.", name);
        else if (*r == -EINVAL)
                agent_error_set(&c->error, *r, AGENT_ERROR_INVALID_PARAMETER,
                                "homeDirectory %s does not match the record of %s.", home_dir, name);
        home_unref(h);
        return NULL; /* replied by home_register_front */
}

static const struct {
        const char *name;
        method_fn fn;
} methods[] = {
        { "io.homefs.Agent.Create", method_create },
        { "io.homefs.Agent.List", method_list },
        { "io.homefs.Agent.Inspect", method_inspect },
        { "io.homefs.Agent.Remove", method_remove },
        { "io.homefs.Agent.Unlock", method_unlock },
        { "io.homefs.Agent.Deactivate", method_deactivate },
        { "io.homefs.Agent.Lock", method_lock },
        { "io.homefs.Agent.LockAll", method_lock_all },
        { "io.homefs.Agent.Activate", method_activate },
        { "io.homefs.Agent.Passwd", method_passwd },
        { "io.homefs.Agent.Authenticate", method_authenticate },
        { "io.homefs.Agent.Update", method_update },
        { "io.homefs.Agent.Resize", method_resize },
        { "io.homefs.Agent.Enqueue", method_enqueue },
        { "io.homefs.Agent.ListQueue", method_list_queue },
        { "io.homefs.Agent.ClearQueue", method_clear_queue },
        { "io.homefs.Agent.ListCredentials", method_list_credentials },
        { "io.homefs.Agent.AddCredentials", method_add_credentials },
        { "io.homefs.Agent.RemoveCredential", method_remove_credential },
        { "io.homefs.Agent.ListSecurityTokens", method_list_security_tokens },
        { "io.homefs.Agent.RegisterFront", method_register_front },
        { "io.homefs.Agent.AcquireSession", method_acquire_session },
        { "io.homefs.Agent.ReleaseSession", method_release_session },
        { "io.homefs.Agent.GetSshKeys", method_get_ssh_keys },
        { "io.homefs.Agent.GetSshUnlockChallenges", method_get_ssh_unlock_challenges },
};

static struct json_object *run_method(struct call *c, const char *method) {
        struct json_object *reply = NULL;
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(methods); i++)
                if (streq(methods[i].name, method)) {
                        reply = methods[i].fn(c, &r);
                        if (r < 0) {
                                audit_failed_attempt(method, c->params, c->peer_uid, c->peer_pid, &c->error, r);
                                return agent_error_reply(&c->error, r);
                        }
                        if (c->conn_taken || !reply)
                                return reply;
                        return proto_reply_new(reply);
                }
        return proto_error_new("io.homefs.Agent.MethodNotFound", NULL);
}

/* The caller's pid, for the audit lines (0 if the kernel does not say). */
static pid_t peer_pid(int fd) {
        struct ucred cred = {};
        socklen_t len = sizeof(cred);

        return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ? 0 : cred.pid;
}

void dispatch_connection(const struct agent_config *config, struct proto_conn *conn, uid_t peer_uid, uid_t account) {
        pid_t pid = peer_pid(conn->fd);

        for (;;) {
                struct json_object *msg = NULL, *reply;
                struct call c = { .config = config, .conn = conn, .peer_uid = peer_uid, .peer_pid = pid, .account = account };
                const char *method;
                int r;

                r = proto_recv(conn, &msg, NULL, NULL, config->idle_timeout_ms);
                if (r < 0) {
                        if (r != -ECONNRESET)
                                log_debug_errno(r, "closing a client connection (uid %u): %m", (unsigned) peer_uid);
                        break;
                }
                method = proto_method(msg);
                if (!method) {
                        json_object_put(msg);
                        break;
                }
                c.params = proto_parameters(msg);
                reply = run_method(&c, method);
                proto_wipe_string(c.params, "password");
                proto_wipe_string(c.params, "newPassword");
                proto_wipe_string(c.params, "pin");
                ssh_unlock_wipe_signatures(c.params);
                json_object_put(msg);
                if (c.conn_taken)
                        return;
                if (reply) {
                        r = proto_send(conn, reply, NULL, 0, c.secret_reply);
                        if (c.secret_reply)
                                proto_wipe_string(proto_parameters(reply), "recoveryKey");
                        json_object_put(reply);
                        if (r < 0)
                                break;
                }
        }
        proto_conn_free(conn);
}
