/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.systemd.UserDatabase for homefs users: systemd's userdbctl and
 * nss-systemd find a varlink service by its socket in /run/systemd/userdb/,
 * whose file name is the service name that every call must carry. The
 * agent's own wire format (lib/proto.c) is varlink's: JSON messages ended by
 * a NUL. Calls with "more" get one reply per record, each but the last with
 * "continues". Privileged fields (sshAuthorizedKeys) go to root only, the way
 * `userdbctl ssh-authorized-keys` (sshd's AuthorizedKeysCommand) needs them. */

#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <string.h>

#include "agent-config.h"
#include "config.h"
#include "log.h"
#include "registry.h"
#include "userdb-record.h"
#include "userdb.h"

#define ERROR_NO_RECORD "io.systemd.UserDatabase.NoRecordFound"
#define ERROR_BAD_SERVICE "io.systemd.UserDatabase.BadService"
#define ERROR_CONFLICT "io.systemd.UserDatabase.ConflictingRecordFound"
#define ERROR_INVALID_PARAMETER "org.varlink.service.InvalidParameter"
#define ERROR_NO_METHOD "org.varlink.service.MethodNotFound"
#define ERROR_EXPECTED_MORE "org.varlink.service.ExpectedMore"

const char *userdb_service_name(const char *socket_path) {
        const char *base = strrchr(socket_path, '/');

        base = base ? base + 1 : socket_path;
        if (!*base || strlen(base) >= USERDB_SERVICE_MAX)
                return NULL;
        return base;
}

static struct json_object *error_reply(const char *error, const char *parameter) {
        struct json_object *p = json_object_new_object();

        if (parameter)
                json_object_object_add(p, "parameter", json_object_new_string(parameter));
        return proto_error_new(error, p);
}

static int send_error(struct proto_conn *conn, const char *error, const char *parameter) {
        struct json_object *reply = error_reply(error, parameter);
        int r = proto_send(conn, reply, NULL, 0, false);

        json_object_put(reply);
        return r;
}

/* What a call asks for: a name and/or an id, both optional. */
struct query {
        const char *name;
        bool has_id;
        unsigned long long id;
};

static int query_parse(struct json_object *params, const char *our_service, const char *name_key,
                       const char *id_key, struct query *q, const char **bad) {
        const char *service;
        int r;

        r = proto_get_string(params, "service", 256, &service);
        if (r < 0 || !streq(service, our_service)) {
                *bad = "service";
                return -ESRCH;
        }
        r = proto_get_string(params, name_key, 256, &q->name);
        if (r == -EINVAL) {
                *bad = name_key;
                return r;
        }
        if (r < 0)
                q->name = NULL;
        r = proto_get_u64(params, id_key, &q->id);
        if (r == -EINVAL || (r == 0 && q->id > UINT32_MAX)) {
                *bad = id_key;
                return -EINVAL;
        }
        q->has_id = r == 0;
        return 0;
}

/* Does the record match? -EEXIST if the name matches but the id does not
 * (or the other way round): varlink's ConflictingRecordFound. */
static int query_match(const struct query *q, const char *name, uint32_t id) {
        bool name_ok = !q->name || streq(q->name, name);
        bool id_ok = !q->has_id || q->id == id;

        if (name_ok && id_ok)
                return 1;
        if ((q->name && streq(q->name, name)) || (q->has_id && q->id == id))
                return -EEXIST;
        return 0;
}

enum kind { KIND_USER, KIND_GROUP };

static struct json_object *record_reply(const struct home *h, const char *service, enum kind kind, bool privileged) {
        struct json_object *p = json_object_new_object();
        const struct user_record *r = h->record;

        if (kind == KIND_USER) {
                json_object_object_add(p, "record", userdb_user_json(r, h->config->login_shell, service, privileged));
                json_object_object_add(p, "incomplete", json_object_new_boolean(!privileged));
        } else {
                json_object_object_add(p, "record", userdb_group_json(r, service));
                json_object_object_add(p, "incomplete", json_object_new_boolean(false));
        }
        return proto_reply_new(p);
}

/* Send every matching record; the last reply goes out without "continues". */
static int serve_records(struct proto_conn *conn, const char *service, const struct query *q, enum kind kind, bool more,
                         bool privileged) {
        struct json_object *pending = NULL, *error = NULL;
        struct home **homes;
        size_t n;
        int r;

        if (!more && !q->name && !q->has_id)
                return send_error(conn, ERROR_EXPECTED_MORE, NULL);
        r = registry_list(&homes, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n && !error; i++) {
                struct home *h = homes[i];
                struct json_object *reply = NULL;
                int m;

                pthread_mutex_lock(&h->lock);
                if (!h->removed && h->record) {
                        m = query_match(q, h->record->user_name,
                                        kind == KIND_USER ? h->record->uid : h->record->gid);
                        if (m < 0)
                                error = error_reply(ERROR_CONFLICT, NULL);
                        else if (m > 0)
                                reply = record_reply(h, service, kind, privileged);
                }
                pthread_mutex_unlock(&h->lock);
                if (!reply)
                        continue;
                if (pending) {
                        json_object_object_add(pending, "continues", json_object_new_boolean(true));
                        r = proto_send(conn, pending, NULL, 0, false);
                        json_object_put(pending);
                        if (r < 0) {
                                json_object_put(reply);
                                registry_list_free(homes, n);
                                return r;
                        }
                }
                pending = reply;
                if (!more)
                        break;
        }
        registry_list_free(homes, n);
        if (error) {
                json_object_put(pending);
                pending = error;
        } else if (!pending)
                pending = error_reply(ERROR_NO_RECORD, NULL);
        r = proto_send(conn, pending, NULL, 0, false);
        json_object_put(pending);
        return r;
}

static int get_info(struct proto_conn *conn) {
        struct json_object *p = json_object_new_object(), *ifs = json_object_new_array(), *reply;
        int r;

        json_object_object_add(p, "vendor", json_object_new_string("homefs"));
        json_object_object_add(p, "product", json_object_new_string("homefs-agent"));
        json_object_object_add(p, "version", json_object_new_string(HOMEFS_VERSION));
        json_object_object_add(p, "url", json_object_new_string("file:///usr/share/doc/homefs"));
        json_object_array_add(ifs, json_object_new_string("io.systemd.UserDatabase"));
        json_object_array_add(ifs, json_object_new_string("org.varlink.service"));
        json_object_object_add(p, "interfaces", ifs);
        reply = proto_reply_new(p);
        r = proto_send(conn, reply, NULL, 0, false);
        json_object_put(reply);
        return r;
}

static int serve_call(struct proto_conn *conn, const char *service, struct json_object *msg, uid_t peer_uid) {
        const char *method = proto_method(msg), *bad = NULL;
        struct json_object *params = proto_parameters(msg), *v;
        bool more = json_object_object_get_ex(msg, "more", &v) && json_object_get_boolean(v);
        struct query q = {};
        enum kind kind;
        int r;

        if (streq(method, "org.varlink.service.GetInfo"))
                return get_info(conn);
        if (streq(method, "io.systemd.UserDatabase.GetUserRecord")) {
                kind = KIND_USER;
                r = query_parse(params, service, "userName", "uid", &q, &bad);
        } else if (streq(method, "io.systemd.UserDatabase.GetGroupRecord")) {
                kind = KIND_GROUP;
                r = query_parse(params, service, "groupName", "gid", &q, &bad);
        } else if (streq(method, "io.systemd.UserDatabase.GetMemberships")) {
                /* homefs users belong to their own group only (primary
                 * membership is no "membership" in userdb's sense). */
                r = query_parse(params, service, "userName", "gid", &q, &bad);
                if (r == -ESRCH)
                        return send_error(conn, ERROR_BAD_SERVICE, NULL);
                return send_error(conn, r < 0 ? ERROR_INVALID_PARAMETER : ERROR_NO_RECORD, bad);
        } else
                return send_error(conn, ERROR_NO_METHOD, NULL);
        if (r == -ESRCH)
                return send_error(conn, ERROR_BAD_SERVICE, NULL);
        if (r < 0)
                return send_error(conn, ERROR_INVALID_PARAMETER, bad);
        return serve_records(conn, service, &q, kind, more, peer_uid == 0);
}

void userdb_serve_connection(const struct agent_config *config, struct proto_conn *conn, uid_t peer_uid) {
        for (;;) {
                struct json_object *msg = NULL;
                int r;

                r = proto_recv(conn, &msg, NULL, NULL, config->idle_timeout_ms);
                if (r < 0)
                        break;
                if (!proto_method(msg)) {
                        json_object_put(msg);
                        break;
                }
                r = serve_call(conn, userdb_service_name(config->userdb_socket), msg, peer_uid);
                json_object_put(msg);
                if (r < 0) {
                        log_debug_errno(r, "userdb: closing a connection (uid %u): %m", (unsigned) peer_uid);
                        break;
                }
        }
        proto_conn_free(conn);
}
