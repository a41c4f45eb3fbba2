/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "spawn.h"

#define ENV_MAX 16

/* The helpers' NSS lookups (useradd, userdel, e2fsck...) must not ask the
 * agent's own userdb service (nss-systemd would): it may be waiting for the
 * very transition that runs them. spawn_bypass_userdb() fills the slot. */
static char bypass_userdb[sizeof("SYSTEMD_BYPASS_USERDB=") + NAME_MAX]; /* the service: a socket's file name */

static char *base_env[] = {
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        "LC_ALL=C",
        NULL, /* SYSTEMD_BYPASS_USERDB=, when set */
        NULL,
};

void spawn_reset_signals(void) {
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        sigset_t none;

        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) sigaction(sig, &dfl, NULL); /* fails harmlessly for glibc's reserved ones */
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
}

void spawn_bypass_userdb(const char *service) {
        snprintf(bypass_userdb, sizeof(bypass_userdb), "SYSTEMD_BYPASS_USERDB=%s", service);
        base_env[2] = bypass_userdb;
}

/* In the child: stdin from /dev/null; stdout to out_fd, or to stderr (the
 * agent's log) so that helpers never write to whatever the agent's stdout is. */
static void child_setup_stdio(int out_fd) {
        int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);

        if (null_fd >= 0)
                dup2(null_fd, STDIN_FILENO);
        dup2(out_fd >= 0 ? out_fd : STDERR_FILENO, STDOUT_FILENO);
}

static int wait_status(pid_t pid) {
        int status;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return -EINTR;
}

int spawn_run_capture(char *const argv[], char *buf, size_t size) {
        int pipefd[2] = { -1, -1 }, r;
        size_t len = 0;
        pid_t pid;

        if (buf && pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                safe_close(pipefd[0]);
                safe_close(pipefd[1]);
                return r;
        }
        if (pid == 0) {
                spawn_reset_signals();
                child_setup_stdio(pipefd[1]);
                execve(argv[0], argv, base_env);
                _exit(127);
        }
        safe_close(pipefd[1]);
        if (buf) {
                for (;;) {
                        char scratch[256];
                        char *dst = len + 1 < size ? buf + len : scratch;
                        size_t room = len + 1 < size ? size - 1 - len : sizeof(scratch);
                        ssize_t n = read(pipefd[0], dst, room);

                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0)
                                break;
                        if (dst != scratch)
                                len += (size_t) n;
                }
                buf[len] = 0;
                safe_close(pipefd[0]);
        }
        r = wait_status(pid);
        if (r == 127)
                log_error("could not run %s", argv[0]);
        return r;
}

int spawn_run(char *const argv[]) {
        return spawn_run_capture(argv, NULL, 0);
}

int spawn_daemon(char *const argv[], char *const extra_env[]) {
        char *env[ENV_MAX];
        size_t n = 0;
        int errpipe[2], child_errno = 0, r;
        pid_t pid;

        for (size_t i = 0; base_env[i] && n < ENV_MAX - 1; i++)
                env[n++] = base_env[i];
        for (size_t i = 0; extra_env && extra_env[i] && n < ENV_MAX - 1; i++)
                env[n++] = extra_env[i];
        env[n] = NULL;

        if (pipe2(errpipe, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                safe_close(errpipe[0]);
                safe_close(errpipe[1]);
                return r;
        }
        if (pid == 0) {
                spawn_reset_signals();
                child_setup_stdio(-1);
                setsid();
                pid = fork();
                if (pid != 0)
                        _exit(pid < 0 ? 1 : 0);
                execve(argv[0], argv, env);
                r = errno;
                (void) !write(errpipe[1], &r, sizeof(r));
                _exit(127);
        }
        safe_close(errpipe[1]);
        r = wait_status(pid);
        if (r == 0 && read(errpipe[0], &child_errno, sizeof(child_errno)) == sizeof(child_errno))
                r = -child_errno;
        else if (r > 0)
                r = -ECHILD;
        safe_close(errpipe[0]);
        return r;
}

int find_program(const char *name, char *buf, size_t size) {
        static const char *const dirs[] = { "/usr/sbin", "/usr/bin", "/sbin", "/bin" };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                int n = snprintf(buf, size, "%s/%s", dirs[i], name);

                if (n < 0 || (size_t) n >= size)
                        return -ENAMETOOLONG;
                if (access(buf, X_OK) == 0)
                        return 0;
        }
        return -ENOENT;
}
