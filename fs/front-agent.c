/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The link to homefs-agent, in its own thread: register with
 * io.homefs.Agent.RegisterFront, then serve the agent's io.homefs.Front.*
 * calls on the same connection. If the connection drops, detach (the home
 * becomes locked: without the agent nobody can lock it later) and register
 * again every second. A refused registration ends homefsd. */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent-client.h"
#include "front.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "proto.h"

#define REGISTER_TIMEOUT_MS 30000
#define RETRY_SECONDS 1

struct agent_link {
        char *user;
        char *home;
};

static void log_refusal(struct json_object *reply) {
        const char *message = NULL;

        (void) proto_get_string(proto_parameters(reply), "message", PROTO_MESSAGE_MAX, &message);
        log_error("the agent refused to register this front: %s%s%s",
                  proto_error(reply) ?: "(no error name)",
                  message ? ": " : "", message ?: "");
}

/* Returns a registered connection, or NULL with *error: -EREMOTE when the
 * agent refused (logged), another negative errno when it is unreachable. */
static struct proto_conn *agent_register(const struct agent_link *l, int *error) {
        struct json_object *params, *call, *reply = NULL;
        struct proto_conn *c;
        int fd, r;

        fd = agent_socket_connect();
        if (fd < 0) {
                *error = fd;
                return NULL;
        }
        c = proto_conn_new(fd);
        if (!c) {
                safe_close(fd);
                *error = -ENOMEM;
                return NULL;
        }

        params = json_object_new_object();
        json_object_object_add(params, "userName", json_object_new_string(l->user));
        json_object_object_add(params, "homeDirectory", json_object_new_string(l->home));
        call = proto_call_new("io.homefs.Agent.RegisterFront", params);
        r = call ? proto_call(c, call, false, NULL, 0, &reply, NULL, NULL, REGISTER_TIMEOUT_MS) : -ENOMEM;
        json_object_put(call);
        if (r == -EREMOTE)
                log_refusal(reply);
        json_object_put(reply);
        if (r < 0) {
                proto_conn_free(c);
                *error = r;
                return NULL;
        }
        return c;
}

static struct json_object *failure_new(int error, const char *what) {
        struct json_object *params = json_object_new_object();
        char message[256];

        snprintf(message, sizeof(message), "%s: %s", what, strerror(abs(error)));
        json_object_object_add(params, "message", json_object_new_string(message));
        return proto_error_new("io.homefs.Front.Failed", params);
}

static struct json_object *handle_attach(int *fds, size_t n_fds) {
        int r;

        if (n_fds != 1)
                return failure_new(EBADF, "Attach needs exactly one directory fd");
        r = front_attach(TAKE_FD(fds[0]));
        if (r < 0)
                return failure_new(r, "Cannot attach the directory");
        return proto_reply_new(NULL);
}

/* Handles one call; sets *stop after Terminate. */
static struct json_object *handle_call(struct json_object *msg, int *fds, size_t n_fds, bool *stop) {
        const char *method = proto_method(msg);

        if (streq(method, "io.homefs.Front.Attach"))
                return handle_attach(fds, n_fds);
        if (streq(method, "io.homefs.Front.Detach")) {
                (void) front_detach();
                return proto_reply_new(NULL);
        }
        if (streq(method, "io.homefs.Front.Hold")) {
                int r = front_hold();

                return r < 0 ? failure_new(r, "Cannot hold requests") : proto_reply_new(NULL);
        }
        if (streq(method, "io.homefs.Front.Release")) {
                front_release();
                return proto_reply_new(NULL);
        }
        if (streq(method, "io.homefs.Front.Terminate")) {
                (void) front_detach();
                *stop = true;
                return proto_reply_new(NULL);
        }
        return failure_new(ENOSYS, "Unknown method");
}

/* Serves calls until the connection ends (negative errno) or Terminate (0). */
static int agent_serve(struct proto_conn *c) {
        for (;;) {
                struct json_object *msg = NULL, *reply;
                int fds[PROTO_FDS_MAX];
                size_t n_fds = PROTO_FDS_MAX;
                bool stop = false;
                int r;

                r = proto_recv(c, &msg, fds, &n_fds, -1);
                if (r < 0)
                        return r;
                if (!proto_method(msg)) {
                        json_object_put(msg);
                        for (size_t k = 0; k < n_fds; k++)
                                safe_close(fds[k]);
                        return -EBADMSG; /* a reply where a call belongs */
                }
                log_debug("agent calls %s", proto_method(msg));
                reply = handle_call(msg, fds, n_fds, &stop);
                for (size_t k = 0; k < n_fds; k++)
                        safe_close(fds[k]); /* the ones not taken */
                json_object_put(msg);

                r = reply ? proto_send(c, reply, NULL, 0, false) : -ENOMEM;
                json_object_put(reply);
                if (stop)
                        return 0;
                if (r < 0)
                        return r;
        }
}

static void *agent_thread(void *p) {
        struct agent_link *l = p;
        bool reachable = true;

        for (;;) {
                struct proto_conn *c;
                int r;

                c = agent_register(l, &r);
                if (!c && r == -EREMOTE) {
                        front_request_exit(EXIT_FAILURE);
                        return NULL;
                }
                if (!c) {
                        if (reachable) /* log once per outage */
                                log_warning_errno(r, "cannot register with the agent, retrying every second: %m");
                        reachable = false;
                        sleep(RETRY_SECONDS);
                        continue;
                }
                reachable = true;
                log_info("registered with the agent");

                r = agent_serve(c);
                proto_conn_free(c);
                if (r == 0) {
                        front_request_exit(EXIT_SUCCESS);
                        return NULL;
                }
                log_warning_errno(r, "lost the agent connection, locking: %m");
                (void) front_detach();
                sleep(RETRY_SECONDS);
        }
}

int agent_link_start(const char *user, const char *home) {
        static struct agent_link link; /* lives as long as the thread */
        pthread_t t;
        int r;

        link.user = strdup(user);
        link.home = strdup(home);
        if (!link.user || !link.home)
                return -ENOMEM;
        r = pthread_create(&t, NULL, agent_thread, &link);
        if (r != 0)
                return -r;
        pthread_detach(t);
        return 0;
}
