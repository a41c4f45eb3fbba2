/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ask-password.h"
#include "macro.h"
#include "secret.h"

/* Set by the handler of the signals that cancel a terminal prompt. */
static volatile sig_atomic_t cancel_signal;

static void on_cancel_signal(int sig) {
        cancel_signal = sig;
}

/* Signals that cancel a prompt (the terminal is restored, -ECANCELED), and job
 * control signals that are held back until the terminal is restored, so that
 * a shell never gets the terminal back with echo off. */
static const int cancel_signals[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP };
static const int held_signals[] = { SIGTSTP, SIGTTIN, SIGTTOU };

static void write_all(int fd, const char *s) {
        size_t len = strlen(s);

        while (len > 0) {
                ssize_t n = write(fd, s, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return; /* a prompt that cannot be shown is no reason to fail */
                }
                s += n;
                len -= (size_t) n;
        }
}

/* Wait until fd is readable. With a mask (terminal prompts) the cancel
 * signals are blocked everywhere except inside ppoll(), so one that arrives
 * is never missed between the check and the wait. */
static int wait_readable(int fd, const sigset_t *mask) {
        struct pollfd p = { .fd = fd, .events = POLLIN };

        for (;;) {
                if (ppoll(&p, 1, NULL, mask) >= 0)
                        return 0;
                if (errno != EINTR)
                        return -errno;
                if (cancel_signal)
                        return -ECANCELED;
        }
}

/* Read one byte into *c: 1, or 0 at end of input, or negative errno. */
static int read_byte(int fd, const sigset_t *mask, char *c) {
        for (;;) {
                ssize_t n;
                int r;

                if (mask) {
                        r = wait_readable(fd, mask);
                        if (r < 0)
                                return r;
                }
                n = read(fd, c, 1);
                if (n >= 0)
                        return (int) n;
                if (errno == EINTR)
                        continue;
                if (errno == EAGAIN && !mask) { /* a non-blocking stdin */
                        r = wait_readable(fd, NULL);
                        if (r < 0)
                                return r;
                        continue;
                }
                return -errno;
        }
}

/* Read up to a newline, byte by byte: nothing after the line is consumed, so
 * the next secret can be read from the next line of the same stream. Bytes go
 * straight into secret memory. */
static int read_line(int fd, const sigset_t *mask, char **ret) {
        _cleanup_secret_ char *buf = secret_alloc(ASK_PASSWORD_MAX + 1);
        bool got_any = false, too_long = false;
        size_t len = 0;

        if (!buf)
                return -ENOMEM;
        for (;;) {
                char scratch = 0, *c = len < ASK_PASSWORD_MAX ? buf + len : &scratch;
                int r = read_byte(fd, mask, c);

                if (r < 0) {
                        explicit_bzero(&scratch, sizeof(scratch));
                        return r;
                }
                if (r == 0) {
                        if (!got_any)
                                return -ENODATA;
                        break;
                }
                got_any = true;
                if (*c == '\n') {
                        *c = 0;
                        break;
                }
                if (c == &scratch) {
                        /* Keep consuming the overlong line, then fail. */
                        explicit_bzero(&scratch, sizeof(scratch));
                        too_long = true;
                        continue;
                }
                len++;
        }
        if (too_long)
                return -EMSGSIZE;
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

int read_password_line(int fd, char **ret) {
        return read_line(fd, NULL, ret);
}

struct tty_state {
        int fd;
        struct termios saved_termios;
        struct sigaction saved_actions[ELEMENTSOF(cancel_signals)];
        sigset_t saved_mask;
        sigset_t wait_mask; /* the mask inside ppoll(): cancel signals deliverable */
};

static void signals_take(struct tty_state *t) {
        struct sigaction sa = { .sa_handler = on_cancel_signal }; /* no SA_RESTART */
        sigset_t block;

        sigemptyset(&block);
        for (size_t i = 0; i < ELEMENTSOF(cancel_signals); i++)
                sigaddset(&block, cancel_signals[i]);
        for (size_t i = 0; i < ELEMENTSOF(held_signals); i++)
                sigaddset(&block, held_signals[i]);
        sigprocmask(SIG_BLOCK, &block, &t->saved_mask);

        t->wait_mask = t->saved_mask;
        for (size_t i = 0; i < ELEMENTSOF(held_signals); i++)
                sigaddset(&t->wait_mask, held_signals[i]);
        for (size_t i = 0; i < ELEMENTSOF(cancel_signals); i++)
                sigdelset(&t->wait_mask, cancel_signals[i]);

        cancel_signal = 0;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < ELEMENTSOF(cancel_signals); i++)
                sigaction(cancel_signals[i], &sa, &t->saved_actions[i]);
}

static void signals_restore(struct tty_state *t) {
        for (size_t i = 0; i < ELEMENTSOF(cancel_signals); i++)
                sigaction(cancel_signals[i], &t->saved_actions[i], NULL);
        /* A held Ctrl-Z is delivered here, with echo already back on. */
        sigprocmask(SIG_SETMASK, &t->saved_mask, NULL);
}

int ask_password_tty(const char *prompt, char **ret) {
        struct tty_state t = {};
        struct termios quiet;
        int r;

        t.fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (t.fd < 0)
                return -errno;
        if (tcgetattr(t.fd, &t.saved_termios) < 0) {
                r = -errno;
                safe_close(t.fd);
                return r;
        }

        /* Signals first: a Ctrl-C from here on finds echo restorable. */
        signals_take(&t);
        quiet = t.saved_termios;
        quiet.c_lflag &= ~(tcflag_t) (ECHO | ECHOE | ECHOK | ECHONL);
        quiet.c_lflag |= ICANON | ISIG;
        if (tcsetattr(t.fd, TCSADRAIN, &quiet) < 0) {
                r = -errno;
                goto finish;
        }

        if (prompt)
                write_all(t.fd, prompt);
        r = read_line(t.fd, &t.wait_mask, ret);
        /* The newline the person typed was not echoed. */
        write_all(t.fd, "\n");

        (void) tcsetattr(t.fd, TCSADRAIN, &t.saved_termios);
finish:
        signals_restore(&t);
        safe_close(t.fd);
        return r;
}

int password_source_open(struct password_source *s, const char *path) {
        *s = (struct password_source) { .fd = -1 };

        if (path) {
                s->fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
                if (s->fd < 0)
                        return -errno;
                s->close_fd = true;
        } else if (!isatty(STDIN_FILENO))
                s->fd = STDIN_FILENO;
        return 0;
}

void password_source_close(struct password_source *s) {
        if (s->close_fd)
                safe_close(s->fd);
        *s = (struct password_source) { .fd = -1 };
}

bool password_source_is_interactive(const struct password_source *s) {
        return s->fd < 0;
}

int password_source_read(struct password_source *s, const char *prompt, char **ret) {
        if (password_source_is_interactive(s))
                return ask_password_tty(prompt, ret);
        return read_password_line(s->fd, ret);
}

/* One attempt on the terminal: 0 and *ret, 1 if the person should try again,
 * or negative errno. */
static int ask_new_once(const char *prompt, const char *repeat_prompt, char **ret) {
        _cleanup_secret_ char *first = NULL, *second = NULL;
        int r;

        r = ask_password_tty(prompt, &first);
        if (r < 0)
                return r;
        if (first[0] == 0) {
                fputs("The password must not be empty, try again.\n", stderr);
                return 1;
        }
        r = ask_password_tty(repeat_prompt, &second);
        if (r < 0)
                return r;
        if (!streq(first, second)) {
                fputs("Passwords do not match, try again.\n", stderr);
                return 1;
        }
        *ret = TAKE_PTR(first);
        return 0;
}

int password_source_read_new(struct password_source *s, const char *prompt, const char *repeat_prompt,
                             char **ret) {
        int r;

        if (!password_source_is_interactive(s)) {
                _cleanup_secret_ char *p = NULL;

                r = read_password_line(s->fd, &p);
                if (r < 0)
                        return r;
                if (p[0] == 0)
                        return -EINVAL;
                *ret = TAKE_PTR(p);
                return 0;
        }

        for (unsigned i = 0; i < ASK_PASSWORD_TRIES; i++) {
                r = ask_new_once(prompt, repeat_prompt, ret);
                if (r <= 0)
                        return r;
        }
        return -EKEYREJECTED;
}

_Static_assert(ASK_PASSWORD_MAX == 1024, "update the message below");

const char *ask_password_strerror(int r) {
        switch (-r) {
        case EMSGSIZE:
                return "the password is too long (at most 1024 bytes)";
        case ENODATA:
                return "no password given (end of input)";
        case ECANCELED:
                return "cancelled";
        case EKEYREJECTED:
                return "the passwords did not match 3 times";
        case EINVAL:
                return "the new password is empty";
        case ENXIO:
                return "no terminal to ask for the password on; pipe it on standard input or use --password-file";
        default:
                return strerror(-r);
        }
}
