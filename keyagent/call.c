/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "call.h"
#include "record.h"
#include "registry.h"

int call_invalid_parameter(struct call *c, const char *name, int r) {
        c->error.parameter = name;
        return agent_error_set(&c->error, r == -ENOENT ? -EINVAL : r, AGENT_ERROR_INVALID_PARAMETER,
                               r == -ENOENT ? "The parameter '%s' is missing." : "The parameter '%s' is invalid.", name);
}

int call_params(struct call *c, const struct proto_field *table, void *base) {
        const char *bad = NULL;
        int r = proto_dispatch(c->params, table, base, &bad);

        return r < 0 ? call_invalid_parameter(c, bad, r) : 0;
}

int call_check_user_name(struct json_object *v, void *dest) {
        const char *s = json_object_get_string(v);

        if (!user_name_is_valid(s))
                return -EINVAL;
        *(const char **) dest = s;
        return 0;
}

int call_home_get(struct call *c, struct home **ret) {
        static const struct proto_field fields[] = {
                { "userName", PROTO_STRING, 0, PROTO_REQUIRED, USER_NAME_MAX, call_check_user_name },
                {}
        };
        const char *name = NULL;
        struct home *h;
        int r;

        r = call_params(c, fields, &name);
        if (r < 0)
                return r;
        r = registry_get(name, &h);
        if (r < 0 && c->peer_uid != 0 && c->access != CALL_ANYONE)
                return agent_error_set(&c->error, -EPERM, AGENT_ERROR_PERMISSION, "You may not access the home of %s.", name);
        if (r < 0)
                return agent_error_set(&c->error, r, AGENT_ERROR_NO_SUCH_HOME, "There is no home for %s.", name);
        if (c->peer_uid != 0 && c->access != CALL_ANYONE && c->peer_uid != h->uid) {
                home_unref(h);
                return agent_error_set(&c->error, -EPERM, AGENT_ERROR_PERMISSION, "You may not access the home of %s.", name);
        }
        *ret = h;
        return 0;
}

int call_home_acquire(struct call *c, struct home **ret) {
        struct home *h;
        int r;

        r = call_home_get(c, &h);
        if (r < 0)
                return r;
        pthread_mutex_lock(&h->lock);
        if (h->removed) {
                r = agent_error_set(&c->error, -ENOENT, AGENT_ERROR_NO_SUCH_HOME, "There is no home for %s.", h->user_name);
                call_home_release(h);
                return r;
        }
        *ret = h;
        return 0;
}

void call_home_release(struct home *h) {
        if (!h)
                return;
        pthread_mutex_unlock(&h->lock);
        home_unref(h);
}

int call_reply(struct call *c, struct json_object *params) {
        json_object_put(c->reply);
        c->reply = params ?: json_object_new_object();
        return 0;
}

int call_reply_one(struct call *c, const char *key, struct json_object *value) {
        struct json_object *params = json_object_new_object();

        json_object_object_add(params, key, value);
        return call_reply(c, params);
}
