/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "ask-password.h"
#include "macro.h"
#include "secret.h"
#include "tap.h"

/* A pipe with data already written and the write end closed. */
static int pipe_with(const char *data, size_t len) {
        int p[2];

        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        if (write(p[1], data, len) != (ssize_t) len) {
                close(p[0]);
                close(p[1]);
                return -1;
        }
        close(p[1]);
        return p[0];
}

static void check_line(int fd, int want_r, const char *want, const char *name) {
        char *s = NULL;
        int r = read_password_line(fd, &s);

        if (want_r < 0)
                tap_ok(r == want_r && !s, "%s: fails with %d (got %d)", name, want_r, r);
        else
                tap_ok(r == 0 && s && streq(s, want), "%s: \"%s\" (got %d, \"%s\")", name, want, r, s ? s : "(null)");
        secret_free(s);
}

static void test_lines(void) {
        static const char data[] = "first\n\nthird";
        _cleanup_close_ int fd = pipe_with(data, sizeof(data) - 1);

        check_line(fd, 0, "first", "line 1");
        check_line(fd, 0, "", "empty line 2");
        check_line(fd, 0, "third", "line 3 without newline");
        check_line(fd, -ENODATA, NULL, "end of input");
}

static void test_lengths(void) {
        _cleanup_free_ char *data = malloc(3000);
        _cleanup_close_ int fd = -1;
        size_t n = 0;

        if (!data)
                abort();
        memset(data, 'a', ASK_PASSWORD_MAX);
        n += ASK_PASSWORD_MAX;
        data[n++] = '\n';
        memset(data + n, 'b', ASK_PASSWORD_MAX + 1);
        n += ASK_PASSWORD_MAX + 1;
        data[n++] = '\n';
        memcpy(data + n, "after\n", 6);
        n += 6;
        fd = pipe_with(data, n);

        {
                char *s = NULL;
                int r = read_password_line(fd, &s);

                tap_ok(r == 0 && s && strlen(s) == ASK_PASSWORD_MAX, "a line of exactly the maximum is read");
                secret_free(s);
        }
        check_line(fd, -EMSGSIZE, NULL, "one byte over the maximum");
        check_line(fd, 0, "after", "the line after an overlong one");
}

static void test_file_source(void) {
        char path[] = "/tmp/test-ask-password-XXXXXX";
        _cleanup_close_ int fd = mkstemp(path);
        struct password_source src;
        char *s = NULL;
        int r;

        if (fd < 0 || write(fd, "old\nnew\n\n", 9) != 9)
                abort();

        r = password_source_open(&src, path);
        tap_ok(r == 0 && !password_source_is_interactive(&src), "a file is a non-interactive source");
        r = password_source_read(&src, "unused: ", &s);
        tap_ok(r == 0 && streq(s, "old"), "file line 1 is the current password");
        secret_free(s);
        s = NULL;
        r = password_source_read_new(&src, "unused: ", "unused: ", &s);
        tap_ok(r == 0 && streq(s, "new"), "file line 2 is the new password, asked once");
        secret_free(s);
        s = NULL;
        r = password_source_read_new(&src, "unused: ", "unused: ", &s);
        TAP_EQ_INT(r, -EINVAL, "an empty new password from a stream is refused");
        password_source_close(&src);
        unlink(path);

        TAP_EQ_INT(password_source_open(&src, "/nonexistent/file"), -ENOENT, "a missing file");
}

static void test_stdin_source(void) {
        _cleanup_close_ int saved = dup(STDIN_FILENO);
        int fd = pipe_with("piped\n", 6);
        struct password_source src;
        char *s = NULL;
        int r;

        dup2(fd, STDIN_FILENO);
        close(fd);
        r = password_source_open(&src, NULL);
        tap_ok(r == 0 && !password_source_is_interactive(&src), "stdin that is a pipe is read, not the terminal");
        r = password_source_read(&src, "unused: ", &s);
        tap_ok(r == 0 && s && streq(s, "piped"), "the password comes from stdin");
        secret_free(s);
        password_source_close(&src);
        dup2(saved, STDIN_FILENO);
}

/* In a child without a controlling terminal there is nobody to ask. */
static void test_no_tty(void) {
        pid_t pid = fork();
        int status = 0;

        if (pid == 0) {
                char *s = NULL;

                setsid();
                _exit(ask_password_tty("x: ", &s) == -ENXIO ? 0 : 1);
        }
        waitpid(pid, &status, 0);
        tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "no controlling terminal gives -ENXIO");
}

/* Read from the pty master until the prompt shows up. */
static bool wait_for_prompt(int master) {
        char buf[256];
        size_t len = 0;

        while (len < sizeof(buf) - 1) {
                struct pollfd p = { .fd = master, .events = POLLIN };
                ssize_t n;

                if (poll(&p, 1, 5000) <= 0)
                        return false;
                n = read(master, buf + len, sizeof(buf) - 1 - len);
                if (n <= 0)
                        return false;
                len += (size_t) n;
                buf[len] = 0;
                if (strstr(buf, "Secret: "))
                        return true;
        }
        return false;
}

/* The child asks on its pty and reports: exit 0 if it read "hunter2", 10 if
 * cancelled with the terminal restored, else something else. */
static void child_ask(int slave) {
        struct termios t;
        char *s = NULL;
        int r;

        setsid();
        if (ioctl(slave, TIOCSCTTY, 0) < 0)
                _exit(2);
        r = ask_password_tty("Secret: ", &s);
        if (tcgetattr(slave, &t) < 0 || !(t.c_lflag & ECHO))
                _exit(3); /* echo was not restored */
        if (r == -ECANCELED)
                _exit(10);
        _exit(r == 0 && streq(s, "hunter2") ? 0 : 4);
}

static int run_pty(const char *input, bool *echo_was_off) {
        int master, slave, status = 0;
        struct termios t;
        pid_t pid;

        if (openpty(&master, &slave, NULL, NULL, NULL) < 0)
                return -1;
        pid = fork();
        if (pid == 0) {
                close(master);
                child_ask(slave);
        }
        close(slave);
        *echo_was_off = wait_for_prompt(master) && tcgetattr(master, &t) == 0 && !(t.c_lflag & ECHO);
        if (write(master, input, strlen(input)) < 0)
                tap_diag("write to the pty: %m");
        waitpid(pid, &status, 0);
        close(master);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_tty(void) {
        bool echo_off = false;
        int r;

        r = run_pty("hunter2\n", &echo_off);
        tap_ok(echo_off, "echo is off while the prompt waits");
        TAP_EQ_INT(r, 0, "the password is read from the terminal and echo restored");

        r = run_pty("hun\003", &echo_off);
        TAP_EQ_INT(r, 10, "Ctrl-C cancels with echo restored");
}

int main(void) {
        tap_plan(0);
        test_lines();
        test_lengths();
        test_file_source();
        test_stdin_source();
        test_no_tty();
        test_tty();
        tap_ok(ask_password_strerror(-EMSGSIZE) != NULL, "errors have messages");
        return tap_done();
}
