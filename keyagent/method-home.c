/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The methods on a home's record and image: Create, List, Inspect, Update,
 * Resize, Passwd, Authenticate, Remove (docs/protocol.md, Methods). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "call.h"
#include "home-ops.h"
#include "json-util.h"
#include "methods.h"
#include "record.h"
#include "registry.h"

int method_create(struct call *c) {
        struct params {
                struct json_object *record;
                const char *password;
                uint64_t percent;
                bool adopt, allow_overcommit;
        } p = {};
        static const struct proto_field fields[] = {
                { "record", PROTO_OBJECT, offsetof(struct params, record), PROTO_REQUIRED },
                { "password", PROTO_STRING, offsetof(struct params, password), PROTO_REQUIRED, PASSWORD_MAX },
                { "diskSizePercent", PROTO_U64, offsetof(struct params, percent), 0, 100 },
                { "adoptImage", PROTO_BOOL, offsetof(struct params, adopt) },
                { "allowOvercommit", PROTO_BOOL, offsetof(struct params, allow_overcommit) },
                {}
        };
        struct user_record *created = NULL;
        struct json_object *reply;
        bool overcommitted = false;
        int r;

        if ((r = call_params(c, fields, &p)) < 0)
                return r;
        r = home_create(c->config, p.record, p.password,
                        &(struct create_options) { .adopt = p.adopt, .allow_overcommit = p.allow_overcommit,
                                                   .disk_size_percent = (unsigned) p.percent },
                        &created, &overcommitted, &c->error);
        if (r < 0)
                return r;
        reply = json_object_new_object();
        json_object_object_add(reply, "record", user_record_to_json(created));
        json_object_object_add(reply, "diskSize", json_object_new_uint64(created->disk_size));
        json_object_object_add(reply, "overcommitted", json_object_new_boolean(overcommitted));
        user_record_free(created);
        return call_reply(c, reply);
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

/* Anyone may list: a user sees only their own home. */
int method_list(struct call *c) {
        struct json_object *arr;
        struct home **homes;
        size_t n;
        int r;

        r = registry_list(&homes, &n);
        if (r < 0)
                return r;
        arr = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                struct home *h = homes[i];

                /* h->uid is immutable: a user's List never waits for a
                 * transition of another user's home. */
                if (c->peer_uid != 0 && c->peer_uid != h->uid)
                        continue;
                pthread_mutex_lock(&h->lock);
                if (!h->removed)
                        json_object_array_add(arr, home_summary(h));
                pthread_mutex_unlock(&h->lock);
        }
        registry_list_free(homes, n);
        return call_reply_one(c, "homes", arr);
}

int method_inspect(struct call *c) {
        _cleanup_home_ struct home *h = NULL;
        struct json_object *reply;
        int r;

        if ((r = call_home_acquire(c, &h)) < 0)
                return r;
        reply = home_summary(h);
        json_object_object_add(reply, "record", user_record_to_json(h->record));
        json_object_object_add(reply, "sessions", json_object_new_int64(h->n_sessions));
        home_add_details(h, reply);
        return call_reply(c, reply);
}

int method_remove(struct call *c) {
        struct params {
                bool force;
        } p = {};
        static const struct proto_field fields[] = {
                { "force", PROTO_BOOL, offsetof(struct params, force) },
                {}
        };
        _cleanup_home_ struct home *h = NULL;
        int r;

        if ((r = call_params(c, fields, &p)) < 0 || (r = call_home_acquire(c, &h)) < 0 ||
            (r = home_remove(h, p.force, &c->error)) < 0)
                return r;
        return call_reply(c, NULL);
}

int method_passwd(struct call *c) {
        struct params {
                const char *old_pw, *new_pw;
        } p = {};
        static const struct proto_field fields[] = {
                { "password", PROTO_STRING, offsetof(struct params, old_pw), PROTO_REQUIRED, PASSWORD_MAX },
                { "newPassword", PROTO_STRING, offsetof(struct params, new_pw), PROTO_REQUIRED, PASSWORD_MAX },
                {}
        };
        _cleanup_home_ struct home *h = NULL;
        int r;

        if ((r = call_params(c, fields, &p)) < 0)
                return r;
        if (p.new_pw[0] == 0)
                return agent_error_set(&c->error, -EINVAL, AGENT_ERROR_INVALID_PARAMETER, "The new password is empty.");
        if ((r = call_home_acquire(c, &h)) < 0 || (r = home_passwd(h, p.old_pw, p.new_pw, &c->error)) < 0)
                return r;
        return call_reply(c, NULL);
}

int method_authenticate(struct call *c) {
        struct params {
                const char *password;
        } p = {};
        static const struct proto_field fields[] = {
                { "password", PROTO_STRING, offsetof(struct params, password), PROTO_REQUIRED, PASSWORD_MAX },
                {}
        };
        _cleanup_home_ struct home *h = NULL;
        int r;

        if ((r = call_params(c, fields, &p)) < 0 || (r = call_home_acquire(c, &h)) < 0 ||
            (r = home_authenticate(h, p.password, &c->error)) < 0)
                return r;
        return call_reply(c, NULL);
}

int method_update(struct call *c) {
        struct params {
                struct json_object *changes;
        } p = {};
        static const struct proto_field fields[] = {
                { "changes", PROTO_OBJECT, offsetof(struct params, changes), PROTO_REQUIRED },
                {}
        };
        _cleanup_home_ struct home *h = NULL;
        int r;

        if ((r = call_params(c, fields, &p)) < 0 || (r = call_home_acquire(c, &h)) < 0 ||
            (r = home_update(h, p.changes, &c->error)) < 0)
                return r;
        return call_reply_one(c, "record", user_record_to_json(h->record));
}

/* diskSize: bytes, or "max" (what the host's free space allows: 0 to
 * home_resize), "min" (what the data allows: UINT64_MAX). */
static int check_resize_size(struct json_object *v, void *dest) {
        uint64_t u;

        if (json_object_is_type(v, json_type_string)) {
                if (json_object_get_string_len(v) != 3)
                        return -EINVAL;
                if (streq(json_object_get_string(v), "max"))
                        *(uint64_t *) dest = 0;
                else if (streq(json_object_get_string(v), "min"))
                        *(uint64_t *) dest = UINT64_MAX;
                else
                        return -EINVAL;
                return 0;
        }
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
                return -EINVAL;
        u = json_object_get_uint64(v);
        if (u == 0 || u == UINT64_MAX)
                return -EINVAL;
        *(uint64_t *) dest = u;
        return 0;
}

int method_resize(struct call *c) {
        struct params {
                uint64_t size;
                const char *password; /* needed to shrink */
                bool allow_overcommit;
        } p = {};
        static const struct proto_field fields[] = {
                { "diskSize", PROTO_ANY, offsetof(struct params, size), PROTO_REQUIRED, 0, check_resize_size },
                { "password", PROTO_STRING, offsetof(struct params, password), 0, PASSWORD_MAX },
                { "allowOvercommit", PROTO_BOOL, offsetof(struct params, allow_overcommit) },
                {}
        };
        _cleanup_home_ struct home *h = NULL;
        bool pending = false, overcommitted = false;
        struct json_object *reply;
        uint64_t reached = 0;
        int r;

        if ((r = call_params(c, fields, &p)) < 0 || (r = call_home_acquire(c, &h)) < 0)
                return r;
        r = home_resize(h, p.size, p.password, p.allow_overcommit, &reached, &pending, &overcommitted, &c->error);
        if (r < 0)
                return r;
        reply = json_object_new_object();
        json_object_object_add(reply, "diskSize", json_object_new_uint64(reached));
        json_object_object_add(reply, "fileSystemPending", json_object_new_boolean(pending));
        json_object_object_add(reply, "overcommitted", json_object_new_boolean(overcommitted));
        return call_reply(c, reply);
}
