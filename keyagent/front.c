/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "agent-config.h"
#include "front.h"
#include "log.h"
#include "paths.h"
#include "recover.h"
#include "spawn.h"

#define FRONT_START_TIMEOUT_SEC 10
#define FRONT_ADOPT_TIMEOUT_SEC 3 /* a running homefsd retries every second */

static int front_call(struct home *h, const char *method, const int *fds, size_t n_fds) {
        struct json_object *reply = NULL, *call;
        int r;

        if (!h->front)
                return -ENOTCONN;
        call = proto_call_new(method, NULL);
        if (!call)
                return -ENOMEM;
        r = proto_call(h->front, call, false, fds, n_fds, &reply, NULL, NULL, (int) h->config->front_timeout_sec * 1000);
        json_object_put(call);
        if (r == -EREMOTE) {
                struct json_object *p = proto_parameters(reply);
                const char *msg = NULL;

                (void) proto_get_string(p, "message", 1024, &msg);
                log_error("homefsd for %s refused %s: %s", h->user_name, method, msg ? msg : proto_error(reply));
                r = -EIO;
        } else if (r < 0) {
                log_error_errno(r, "homefsd for %s did not answer %s (within %u s): %m; going on without it",
                                h->user_name, method, h->config->front_timeout_sec);
                /* The link is unusable now; the front is considered gone. */
                proto_conn_free(h->front);
                h->front = NULL;
        }
        json_object_put(reply);
        return r;
}

int front_attach(struct home *h, int home_fd) {
        return front_call(h, "io.homefs.Front.Attach", &home_fd, 1);
}

int front_detach(struct home *h) {
        return front_call(h, "io.homefs.Front.Detach", NULL, 0);
}

int front_hold(struct home *h) {
        return front_call(h, "io.homefs.Front.Hold", NULL, 0);
}

int front_release(struct home *h) {
        return front_call(h, "io.homefs.Front.Release", NULL, 0);
}

int front_terminate(struct home *h) {
        int r = front_call(h, "io.homefs.Front.Terminate", NULL, 0);

        proto_conn_free(h->front);
        h->front = NULL;
        return r;
}

/* Wait (the home's lock released meanwhile) until a front registers. */
static int wait_for_front(struct home *h, int seconds) {
        struct timespec deadline;

        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += seconds;
        while (!h->front && !h->removed)
                if (pthread_cond_timedwait(&h->front_changed, &h->lock, &deadline) == ETIMEDOUT)
                        return -ETIMEDOUT;
        return h->front ? 0 : -ENOENT;
}

/* A homefsd already mounted on the home path (the agent restarted) is
 * adopted when it registers; one that does not is replaced. */
static int adopt_running_front(struct home *h) {
        const char *path = h->record->home_directory;
        int r = recover_front_mount(path);

        if (r <= 0)
                return r;
        if (wait_for_front(h, FRONT_ADOPT_TIMEOUT_SEC) == 0) {
                log_info("adopted the running homefsd of %s", h->user_name);
                return 1;
        }
        log_warning("the front mounted on %s did not register; replacing it", path);
        (void) recover_detach_mount(path);
        return 0;
}

int front_ensure(struct home *h) {
        char runtime_env[PATH_MAX + 32], state_env[PATH_MAX + 32];
        int r;

        if (home_front_alive(h))
                return 0;
        if (adopt_running_front(h) > 0)
                return 0;

        snprintf(runtime_env, sizeof(runtime_env), "HOMEFS_RUNTIME_DIR=%s", homefs_runtime_dir());
        snprintf(state_env, sizeof(state_env), "HOMEFS_STATE_DIR=%s", homefs_state_dir());
        r = spawn_daemon((char *[]) { (char *) h->config->homefsd, h->user_name, NULL },
                         (char *[]) { runtime_env, state_env, NULL });
        if (r < 0)
                return log_error_errno(r, "starting %s for %s: %m", h->config->homefsd, h->user_name);

        r = wait_for_front(h, FRONT_START_TIMEOUT_SEC);
        if (r == -ETIMEDOUT)
                return log_error_errno(r, "homefsd for %s did not register within %d s; see its log",
                                       h->user_name, FRONT_START_TIMEOUT_SEC);
        return r;
}

