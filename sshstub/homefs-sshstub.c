/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* homefs-sshstub: the login shell of homefs users, and sshd's ForceCommand
 * for them. SSH logs in with keys and skips PAM's auth stack, so nothing may
 * have unlocked the home yet: unlock with a key in the forwarded ssh-agent if
 * one is enrolled, else ask for the password on the terminal if there is one,
 * take a session reference, and become the record's shell. sshd
 * starts the login shell with nothing in front of it, so no other shell reads
 * its startup files in a locked home. See homefs-sshstub(8). */
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

/* No terminal: the channel carries a program's data, not a password. Say
 * why on stderr, and to an SFTP client in its protocol. */
static int refuse_locked(const char *user, const char *command) {
        char msg[256];

        snprintf(msg, sizeof(msg), "The home of %s is locked; log in interactively with 'ssh -t', or unlock it first.",
                 user);
        fprintf(stderr, "%s\n", msg);
        if (command_is_sftp(command))
                sftp_refuse(msg);
        return EXIT_LOCKED;
}

static int acquire(const char *user, struct proto_conn **ret, struct agent_error *e) {
        _cleanup_(proto_conn_freep) struct proto_conn *c = NULL;
        int r;

        r = agent_connect(&c, e);
        if (r < 0)
                return r;
        /* No suspend: a terminal session cannot ask for the password again
         * after resume (pam_systemd_home's advice). */
        r = agent_session_acquire(c, user, NULL, false, NULL, e);
        if (r < 0)
                return r;
        r = keep_across_exec(c);
        if (r < 0)
                return log_error_errno(r, "cannot keep the session open: %m");
        *ret = TAKE_PTR(c);
        return 0;
}

static int run(const struct passwd *pw, const char *command) {
        _cleanup_(proto_conn_freep) struct proto_conn *session = NULL;
        _cleanup_agent_error_ struct agent_error e = {};
        struct home_info info;
        char line[AGENT_ERROR_LINE_MAX];
        bool hold;
        int r;

        r = home_info_get(pw->pw_name, &info, &e);
        if (r < 0)
                goto agent_failed;
        if (!info.managed) { /* somebody else's user: just their shell */
                (void) exec_user_shell(shell_choose(NULL, pw), pw, command);
                return EXIT_FAILURE;
        }
        /* A session holds the home while the login lives, and the last
         * session's end deactivates it. A home activated by hand, that no
         * session holds, is not this login's to deactivate: take none then.
         * A locked home (sessions kept) is resumed like an inactive one is
         * activated. */
        hold = !info.active || info.sessions > 0;
        if (!info.active && unlock_with_ssh_agent(pw->pw_name) < 0) {
                if (!isatty(STDIN_FILENO)) {
                        home_info_done(&info);
                        return refuse_locked(pw->pw_name, command);
                }
                r = unlock_on_terminal(pw->pw_name);
                if (r != 0) {
                        home_info_done(&info);
                        return r;
                }
        }
        if (hold) {
                r = acquire(pw->pw_name, &session, &e);
                if (r < 0) {
                        home_info_done(&info);
                        goto agent_failed;
                }
        }
        (void) exec_user_shell(shell_choose(info.shell, pw), pw, command);
        home_info_done(&info);
        return EXIT_FAILURE;

agent_failed:
        if (e.origin != AGENT_ERROR_NONE)
                fprintf(stderr, "%s\n", agent_error_format(&e, pw->pw_name, line, sizeof(line)));
        return EXIT_FAILURE;
}

/* sshd starts the login shell as "-NAME" (interactive) or "NAME -c COMMAND";
 * with ForceCommand the command is this program and the client's is in
 * SSH_ORIGINAL_COMMAND. Started by another shell (ForceCommand of a user
 * whose shell is not the stub), the stub gets no arguments. */
static int parse_invocation(int argc, char **argv, struct invocation *inv) {
        *inv = (struct invocation) { .login = argv[0] && argv[0][0] == '-' };
        if (argc == 3 && streq(argv[1], "-c"))
                inv->command = is_self(argv[2]) ? getenv("SSH_ORIGINAL_COMMAND") : argv[2];
        else if (argc == 1)
                inv->command = inv->login ? NULL : getenv("SSH_ORIGINAL_COMMAND");
        else
                return -EINVAL;
        return 0;
}

int main(int argc, char **argv) {
        struct invocation inv;
        struct passwd *pw;

        log_setup("homefs-sshstub", LOG_LEVEL_INFO);
        secret_process_harden();
        if (parse_invocation(argc, argv, &inv) < 0) {
                fprintf(stderr, "Usage: homefs-sshstub [-c COMMAND] (a login shell, or sshd's ForceCommand; "
                                "see homefs-sshstub(8))\n");
                return 2;
        }
        pw = getpwuid(getuid());
        if (!pw) {
                log_error("uid %u has no passwd entry: cannot tell who you are", (unsigned) getuid());
                return EXIT_FAILURE;
        }
        return run(pw, inv.command);
}
