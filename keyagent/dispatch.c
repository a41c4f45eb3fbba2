/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent's side of a client connection: read calls, look the method up,
 * authorise it, run it, reply. The methods live in method-*.c, one file per
 * area; each reads its parameters through a proto_field table (call.h). */
#include <errno.h>
#include <sys/socket.h>

#include "audit.h"
#include "call.h"
#include "dispatch.h"
#include "log.h"
#include "methods.h"
#include "ssh-unlock.h"

static const struct method {
        const char *name;
        call_method_fn fn;
        enum call_access access;
} methods[] = {
        { "io.homefs.Agent.Create", method_create, CALL_ROOT },
        { "io.homefs.Agent.List", method_list, CALL_ANYONE }, /* a user sees their own home only */
        { "io.homefs.Agent.Inspect", method_inspect, CALL_OWNER },
        { "io.homefs.Agent.Remove", method_remove, CALL_ROOT },
        { "io.homefs.Agent.Unlock", method_unlock, CALL_OWNER },
        { "io.homefs.Agent.Deactivate", method_deactivate, CALL_OWNER },
        { "io.homefs.Agent.Lock", method_lock, CALL_OWNER },
        { "io.homefs.Agent.LockAll", method_lock_all, CALL_ROOT },
        { "io.homefs.Agent.Activate", method_activate, CALL_OWNER },
        { "io.homefs.Agent.Passwd", method_passwd, CALL_OWNER },
        { "io.homefs.Agent.Authenticate", method_authenticate, CALL_OWNER },
        { "io.homefs.Agent.Update", method_update, CALL_ROOT },
        { "io.homefs.Agent.Resize", method_resize, CALL_ROOT },
        { "io.homefs.Agent.Enqueue", method_enqueue, CALL_OWNER },
        { "io.homefs.Agent.ListQueue", method_list_queue, CALL_OWNER },
        { "io.homefs.Agent.ClearQueue", method_clear_queue, CALL_OWNER },
        { "io.homefs.Agent.ListCredentials", method_list_credentials, CALL_OWNER },
        { "io.homefs.Agent.AddCredentials", method_add_credentials, CALL_OWNER },
        { "io.homefs.Agent.RemoveCredential", method_remove_credential, CALL_ROOT },
        { "io.homefs.Agent.ListSecurityTokens", method_list_security_tokens, CALL_ANYONE },
        { "io.homefs.Agent.RegisterFront", method_register_front, CALL_ROOT },
        { "io.homefs.Agent.AcquireSession", method_acquire_session, CALL_OWNER },
        { "io.homefs.Agent.ReleaseSession", method_release_session, CALL_ANYONE }, /* always refused here */
        { "io.homefs.Agent.GetSshKeys", method_get_ssh_keys, CALL_ANYONE }, /* public keys, for sshd */
        { "io.homefs.Agent.GetSshUnlockChallenges", method_get_ssh_unlock_challenges, CALL_OWNER },
};

/* The authorisation hook: root-only methods are refused to anyone else
 * before a parameter is read; who may touch which home is call_home_get()'s
 * to say, by the same access. */
static int authorize(struct call *c, const struct method *m) {
        c->access = m->access;
        if (m->access == CALL_ROOT && c->peer_uid != 0)
                return agent_error_set(&c->error, -EPERM, AGENT_ERROR_PERMISSION, "Only root may do this.");
        return 0;
}

/* The reply message for the call, or NULL when the connection was taken
 * over (the method answered on it). */
static struct json_object *run_method(struct call *c, const char *name) {
        const struct method *m = NULL;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(methods) && !m; i++)
                if (streq(methods[i].name, name))
                        m = &methods[i];
        if (!m)
                return proto_error_new("io.homefs.Agent.MethodNotFound", NULL);
        r = authorize(c, m);
        if (r >= 0)
                r = m->fn(c);
        if (r < 0) {
                json_object_put(TAKE_PTR(c->reply));
                audit_failed_attempt(name, c->params, c->peer_uid, c->peer_pid, &c->error, r);
                return agent_error_reply(&c->error, r);
        }
        if (c->conn_taken) {
                json_object_put(TAKE_PTR(c->reply));
                return NULL;
        }
        return proto_reply_new(TAKE_PTR(c->reply) ?: json_object_new_object());
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
