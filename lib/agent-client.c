/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent-client.h"
#include "escape.h"
#include "macro.h"
#include "paths.h"

static const struct {
        const char *name; /* without the "io.homefs.Agent." prefix */
        int errnum;
} error_table[] = {
        { "PermissionDenied", EACCES },
        { "InvalidParameter", EINVAL },
        { "InvalidRecord", EBADR },
        { "NoSuchHome", ENOENT },
        { "HomeExists", EEXIST },
        { "UserExists", EADDRINUSE },
        { "BadCredentials", EPERM },
        { "RateLimited", EAGAIN },
        { "AccountLocked", EKEYREVOKED },
        { "AccountExpired", EKEYEXPIRED },
        { "HomeLocked", ENOKEY },
        { "ImageMissing", ENOMEDIUM },
        { "HomeBusy", EBUSY },
        { "FrontNotRunning", ESRCH },
        { "Failed", EIO },
        { "PasswordNeeded", ENOKEY },
        { "PinNeeded", ENOANO },
        { "BadPin", EBADE },
        { "PinLocked", ENOLCK },
        { "TokenAbsent", ENXIO },
        { "UserPresenceNeeded", ENOMSG },
        { "UserPresenceRefused", ETIME },
        { "NoSuchCredential", ENODATA },
        { "LastCredential", ENOTEMPTY },
};

void agent_error_clear(struct agent_error *e) {
        if (!e)
                return;
        free(e->name);
        free(e->message);
        json_object_put(e->parameters);
        *e = (struct agent_error) {};
}

static const char *short_name(const char *name) {
        size_t n = strlen(AGENT_INTERFACE);

        if (name && strncmp(name, AGENT_INTERFACE, n) == 0 && name[n] == '.')
                return name + n + 1;
        return NULL;
}

int agent_errno_from_error_name(const char *name) {
        const char *s = short_name(name);

        if (s)
                for (size_t i = 0; i < ELEMENTSOF(error_table); i++)
                        if (streq(s, error_table[i].name))
                                return -error_table[i].errnum;
        return -EPROTO;
}

const char *agent_error_short_name(const struct agent_error *e) {
        return e && e->origin == AGENT_ERROR_REPLY ? short_name(e->name) : NULL;
}

/* Record a failure on this side; returns r for "return set_local(...)". */
static int set_local(struct agent_error *e, enum agent_error_origin origin, int r) {
        if (e) {
                e->origin = origin;
                e->errnum = r;
        }
        return r;
}

/* Failed carries the agent's errno; anything unusable becomes EIO. */
static int failed_errno(struct json_object *params) {
        unsigned long long v;

        if (proto_get_u64(params, "errno", &v) == 0 && v > 0 && v < 4096)
                return -(int) v;
        return -EIO;
}

/* Turn an error reply (taken over) into an errno and, if e, its details. */
static int set_reply_error(struct agent_error *e, struct json_object *reply) {
        struct json_object *params = proto_parameters(reply);
        const char *name = proto_error(reply), *message = NULL;
        int r = agent_errno_from_error_name(name);

        if (r == -EIO && streq(short_name(name), "Failed"))
                r = failed_errno(params);
        if (e) {
                e->origin = AGENT_ERROR_REPLY;
                e->errnum = r;
                e->name = strdup(name);
                if (proto_get_string(params, "message", PROTO_MESSAGE_MAX, &message) == 0)
                        e->message = strdup(message);
                e->parameters = params ? json_object_get(params) : NULL;
        }
        json_object_put(reply);
        return r;
}

static int socket_connect_at(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int agent_socket_connect(void) {
        char path[sizeof(((struct sockaddr_un *) 0)->sun_path)];
        int r;

        r = homefs_agent_socket_path(path, sizeof(path));
        if (r < 0)
                return r;
        return socket_connect_at(path);
}

int agent_connect(struct proto_conn **ret, struct agent_error *error) {
        return agent_connect_runtime_dir(homefs_runtime_dir(), ret, error);
}

int agent_connect_runtime_dir(const char *runtime_dir, struct proto_conn **ret, struct agent_error *error) {
        char path[PATH_MAX];
        struct proto_conn *c;
        int fd;

        agent_error_clear(error);
        if (error)
                /* Even when too long, so the message can show (the start of) it. */
                snprintf(error->socket_path, sizeof(error->socket_path), "%s/agent.sock", runtime_dir);
        if ((size_t) snprintf(path, sizeof(path), "%s/agent.sock", runtime_dir) >= sizeof(path))
                fd = -ENAMETOOLONG;
        else
                fd = socket_connect_at(path);
        if (fd < 0)
                return set_local(error, AGENT_ERROR_CONNECT, fd);
        c = proto_conn_new(fd);
        if (!c) {
                close(fd);
                return set_local(error, AGENT_ERROR_CONNECT, -ENOMEM);
        }
        *ret = c;
        return 0;
}

int agent_call(struct proto_conn *c, const char *method, struct json_object *params, bool secret,
               struct json_object **ret, struct agent_error *error) {
        struct json_object *call, *reply = NULL, *p;
        int r;

        agent_error_clear(error);
        /* Keep a reference so the secrets can be wiped whatever happens. */
        if (params)
                json_object_get(params);
        call = proto_call_new(method, params);
        if (call)
                r = proto_call(c, call, secret, NULL, 0, &reply, NULL, NULL, c->call_timeout_ms);
        else
                r = -ENOMEM;
        if (secret) {
                proto_wipe_string(params, "password");
                proto_wipe_string(params, "newPassword");
                proto_wipe_string(params, "pin");
        }
        json_object_put(call);
        json_object_put(params);

        if (r == -EREMOTE)
                return set_reply_error(error, reply);
        if (r < 0)
                return set_local(error, AGENT_ERROR_TRANSPORT, r);

        if (!ret) { /* the caller does not want the reply */
                json_object_put(reply);
                return 0;
        }
        p = proto_parameters(reply);
        *ret = p ? json_object_get(p) : json_object_new_object();
        json_object_put(reply);
        if (!*ret)
                return set_local(error, AGENT_ERROR_TRANSPORT, -ENOMEM);
        return 0;
}

/* Copy s into buf as one line: control characters (an agent message names
 * users and paths, and could hold a newline) are escaped, and a final period
 * is dropped so a hint can follow. */
static void copy_line(char *buf, size_t size, const char *s) {
        size_t n = strlen(escape_to(buf, size, s));

        while (n > 0 && (buf[n - 1] == '.' || buf[n - 1] == ' '))
                n--;
        buf[n] = 0;
}

/* buf = what + ("; " + hint) + "." */
static const char *sentence(char *buf, size_t size, const char *what, const char *hint) {
        char line[AGENT_ERROR_LINE_MAX];

        copy_line(line, sizeof(line), what);
        if (hint)
                snprintf(buf, size, "%s; %s.", line, hint);
        else
                snprintf(buf, size, "%s.", line);
        return buf;
}

static const char *format_connect(const struct agent_error *e, char *buf, size_t size) {
        char what[AGENT_ERROR_LINE_MAX];
        int err = -e->errnum;

        switch (err) {
        case ENOENT:
        case ECONNREFUSED:
                snprintf(what, sizeof(what), "homefs-agent is not running (connect to %s: %s)",
                         e->socket_path, strerror(err));
                return sentence(buf, size, what,
                                "start it with 'homefs-agent' or 'systemctl start homefs-agent'");
        case ENAMETOOLONG:
                snprintf(what, sizeof(what), "The agent socket path %s... is too long", e->socket_path);
                return sentence(buf, size, what, "set a shorter HOMEFS_RUNTIME_DIR");
        case EACCES:
        case EPERM:
                snprintf(what, sizeof(what), "Cannot connect to homefs-agent (connect to %s: %s)",
                         e->socket_path, strerror(err));
                return sentence(buf, size, what, "check the permissions of the socket and its directory");
        default:
                snprintf(what, sizeof(what), "Cannot connect to homefs-agent (connect to %s: %s)",
                         e->socket_path, strerror(err));
                return sentence(buf, size, what, NULL);
        }
}

static const char *format_transport(const struct agent_error *e, char *buf, size_t size) {
        char what[AGENT_ERROR_LINE_MAX];

        switch (-e->errnum) {
        case ECONNRESET:
        case EPIPE:
                return sentence(buf, size, "homefs-agent closed the connection before answering",
                                "check its log and try again");
        case ETIMEDOUT:
                return sentence(buf, size, "homefs-agent did not answer in time",
                                "it may be hung: check its log, or restart it");
        case EBADMSG:
                return sentence(buf, size, "homefs-agent sent a malformed reply",
                                "check that homefs-agent and this program are from the same version");
        default:
                snprintf(what, sizeof(what), "Talking to homefs-agent failed: %s", strerror(-e->errnum));
                return sentence(buf, size, what, NULL);
        }
}

/* The agent's own sentence when it sent one, else ours. */
static const char *message_or(const struct agent_error *e, const char *fallback) {
        return e->message && e->message[0] ? e->message : fallback;
}

static const char *format_reply(const struct agent_error *e, const char *user, char *buf, size_t size) {
        const char *name = agent_error_short_name(e);
        char what[AGENT_ERROR_LINE_MAX], hint[256];
        unsigned long long usec;

        /* Branch on the name, not on errnum: Failed carries any errno. */
        if (!name)
                name = "";
        if (!user)
                user = "this user";

        if (streq(name, "BadCredentials")) {
                snprintf(what, sizeof(what), "Wrong password for %s", user);
                return sentence(buf, size, what, NULL);
        }
        if (streq(name, "RateLimited")) {
                if (proto_get_u64(e->parameters, "retryAfterUSec", &usec) == 0)
                        snprintf(what, sizeof(what), "Too many failed attempts; try again in %llu s",
                                 (usec + 999999) / 1000000);
                else
                        snprintf(what, sizeof(what), "Too many failed attempts; try again later");
                return sentence(buf, size, what, NULL);
        }
        if (streq(name, "NoSuchHome")) {
                snprintf(what, sizeof(what), "There is no homefs home for %s", user);
                return sentence(buf, size, what, "see 'homefsctl list'");
        }
        if (streq(name, "PermissionDenied"))
                /* Root is never denied for lack of privilege, so no hint then. */
                return sentence(buf, size, message_or(e, "Permission denied"),
                                geteuid() == 0 ? NULL : "run it as root, or act on your own home only");
        if (streq(name, "AccountExpired"))
                return sentence(buf, size, message_or(e, "The account has expired"), NULL);
        if (streq(name, "HomeLocked")) {
                snprintf(what, sizeof(what), "The home of %s is locked", user);
                return sentence(buf, size, message_or(e, what), "unlock it first");
        }
        if (streq(name, "AccountLocked")) {
                snprintf(what, sizeof(what), "The account %s is locked", user);
                return sentence(buf, size, message_or(e, what), "ask an administrator to unlock it");
        }
        if (streq(name, "ImageMissing")) {
                snprintf(what, sizeof(what), "The image file of the home of %s is missing", user);
                return sentence(buf, size, message_or(e, what), "restore it from a backup");
        }
        if (streq(name, "HomeBusy"))
                return sentence(buf, size, message_or(e, "The home is busy"),
                                "try again in a moment");
        if (streq(name, "FrontNotRunning")) {
                snprintf(what, sizeof(what), "homefsd is not running for the home of %s", user);
                snprintf(hint, sizeof(hint), "start it with 'homefsd %s' or mount the home, then try again",
                         user);
                return sentence(buf, size, message_or(e, what), hint);
        }
        if (streq(name, "HomeExists")) {
                snprintf(what, sizeof(what), "A home for %s already exists", user);
                return sentence(buf, size, message_or(e, what), NULL);
        }
        if (streq(name, "UserExists"))
                return sentence(buf, size,
                                message_or(e, "The user name or uid is already in use on this system"),
                                "choose another");
        if (streq(name, "InvalidParameter") || streq(name, "InvalidRecord"))
                return sentence(buf, size, message_or(e, "Invalid request"), NULL);
        if (streq(name, "BadPin") || streq(name, "PinLocked") || streq(name, "TokenAbsent") ||
            streq(name, "PinNeeded") || streq(name, "PasswordNeeded") || streq(name, "NoSuchCredential") ||
            streq(name, "UserPresenceNeeded") || streq(name, "UserPresenceRefused"))
                return sentence(buf, size, message_or(e, name), NULL);
        if (streq(name, "LastCredential"))
                return sentence(buf, size, message_or(e, "That is the last credential"), "add another one first");
        if (streq(name, "Failed"))
                return sentence(buf, size, message_or(e, strerror(-e->errnum)),
                                "see the log of homefs-agent for details");

        snprintf(what, sizeof(what), "homefs-agent failed with %s: %s", e->name ? e->name : "(no name)",
                 message_or(e, "no message"));
        return sentence(buf, size, what, NULL);
}

const char *agent_error_format(const struct agent_error *e, const char *user_name, char *buf, size_t size) {
        switch (e->origin) {
        case AGENT_ERROR_CONNECT:
                return format_connect(e, buf, size);
        case AGENT_ERROR_TRANSPORT:
                return format_transport(e, buf, size);
        case AGENT_ERROR_REPLY:
                return format_reply(e, user_name, buf, size);
        default:
                return sentence(buf, size, "No error", NULL);
        }
}
