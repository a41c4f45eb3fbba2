/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* homefs-sshstub: sshd's ForceCommand for users homefs manages. SSH logs in
 * with keys and skips PAM's auth stack, so nothing has unlocked the home
 * yet: unlock with a key in the forwarded ssh-agent if one is enrolled, else
 * ask for the password on the terminal if there is one, take a session
 * reference, and become the user's real shell. See homefs-sshstub(8). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent-session.h"
#include "log.h"
#include "secret.h"
#include "sshstub.h"

/* The session connection stays open across exec: the shell (and whatever it
 * leaves running) holds the home; when the last of them exits, the agent
 * sees the connection close and ends the session. The connection is the
 * user's own (SO_PEERCRED) and carries nothing but ReleaseSession. */
static int keep_across_exec(struct proto_conn *c) {
        int flags = fcntl(c->fd, F_GETFD);

        if (flags < 0 || fcntl(c->fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
                return -errno;
        return 0;
}

/* Is sshd running the SFTP subsystem (sftp, and scp since OpenSSH 9)? */
static bool is_sftp(void) {
        const char *c = getenv("SSH_ORIGINAL_COMMAND");
        const char *base = c ? strrchr(c, '/') : NULL;

        return c && (streq(c, "internal-sftp") || (base && streq(base, "/sftp-server")));
}

/* No terminal: the channel carries a program's data, not a password. Say
 * why on stderr, and to an SFTP client in its protocol. */
static int refuse_locked(const char *user) {
        char msg[256];

        snprintf(msg, sizeof(msg), "The home of %s is locked; log in interactively with 'ssh -t', or unlock it first.",
                 user);
        fprintf(stderr, "%s\n", msg);
        if (is_sftp())
                sftp_refuse(msg);
        return EXIT_LOCKED;
}

/* 0 with *ret holding the session, or -ENOKEY (locked), or another negative
 * errno with e filled. A user homefs does not manage gets 0 and no session. */
static int acquire(const char *user, struct proto_conn **ret, struct agent_error *e) {
        _cleanup_(proto_conn_freep) struct proto_conn *c = NULL;
        int r;

        r = agent_connect(&c, e);
        if (r < 0)
                return r;
        r = agent_session_acquire(c, user, NULL, NULL, e);
        if (r == -ENOENT && e->origin == AGENT_ERROR_REPLY)
                return 0;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

static int run(const struct passwd *pw) {
        _cleanup_(proto_conn_freep) struct proto_conn *session = NULL;
        _cleanup_agent_error_ struct agent_error e = {};
        char line[AGENT_ERROR_LINE_MAX];
        int r;

        r = acquire(pw->pw_name, &session, &e);
        if (r == -ENOKEY && e.origin == AGENT_ERROR_REPLY) {
                if (unlock_with_ssh_agent(pw->pw_name) < 0) {
                        if (!isatty(STDIN_FILENO))
                                return refuse_locked(pw->pw_name);
                        r = unlock_on_terminal(pw->pw_name);
                        if (r != 0)
                                return r;
                }
                r = acquire(pw->pw_name, &session, &e);
        }
        if (r < 0) {
                fprintf(stderr, "%s\n", agent_error_format(&e, pw->pw_name, line, sizeof(line)));
                return EXIT_FAILURE;
        }
        if (session && (r = keep_across_exec(session)) < 0) {
                log_error_errno(r, "Cannot keep the session open: %m.");
                return EXIT_FAILURE;
        }
        (void) exec_user_shell(pw);
        return EXIT_FAILURE;
}

int main(int argc, char **argv) {
        struct passwd *pw;

        log_setup("homefs-sshstub", LOG_LEVEL_INFO);
        secret_process_harden();
        if (argc > 1) {
                fprintf(stderr, "Usage: homefs-sshstub (run by sshd as ForceCommand; see homefs-sshstub(8))\n");
                return 2;
        }
        pw = getpwuid(getuid());
        if (!pw) {
                log_error("Who are you? uid %u has no passwd entry.", (unsigned) getuid());
                return EXIT_FAILURE;
        }
        return run(pw);
}
