/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Reading secrets (passwords, PINs) from a person or a script, for homefsctl,
 * the PAM module's fallback and the SSH stub.
 *
 * A secret is read from one of:
 *   - the controlling terminal (/dev/tty), with echo off, when standard input
 *     is a terminal;
 *   - standard input, one line per secret, when it is not a terminal;
 *   - a file (--password-file), one line per secret.
 * Every secret is returned in secret memory (lib/secret.h): free it with
 * secret_free() (or _cleanup_secret_), which wipes it. The trailing newline is
 * stripped; nothing else is.
 *
 * Errors (negative errno):
 *   -EMSGSIZE     longer than ASK_PASSWORD_MAX bytes (the rest of the line is
 *                 consumed, so a following line is still read correctly)
 *   -ENODATA      end of input before any byte (empty stdin, empty file, or
 *                 Ctrl-D on the terminal)
 *   -ECANCELED    interrupted on the terminal by SIGINT, SIGQUIT, SIGTERM or
 *                 SIGHUP (Ctrl-C); the terminal is restored first
 *   -EKEYREJECTED ask_password_new(): the two entries differed 3 times
 *   -EINVAL       ask_password_new(): the new secret was empty on a stream
 *   others        from open(), read(), tcsetattr()
 * ask_password_strerror() turns these into a phrase in the log voice of log.h. */

#define ASK_PASSWORD_MAX 1024U /* bytes, without the NUL */
#define ASK_PASSWORD_TRIES 3U  /* for ask_password_new() on a terminal */

struct password_source {
        int fd;        /* the stream lines are read from; -1: ask on /dev/tty */
        bool close_fd; /* the fd was opened by password_source_open() */
};

/* path NULL: the terminal if standard input is one, else standard input.
 * path set: that file. */
int password_source_open(struct password_source *s, const char *path);
void password_source_close(struct password_source *s);

/* True if secrets come from the terminal (prompts are shown, the person may
 * retry). */
bool password_source_is_interactive(const struct password_source *s);

/* Read one secret. prompt is shown only on the terminal. */
int password_source_read(struct password_source *s, const char *prompt, char **ret);

/* Read a new secret: on the terminal ask twice and compare, up to
 * ASK_PASSWORD_TRIES times, refusing empty entries; from a stream read one
 * line, which must not be empty. */
int password_source_read_new(struct password_source *s, const char *prompt, const char *repeat_prompt,
                             char **ret);

/* The building blocks, for callers that need only one of them (the SSH stub
 * always asks on the terminal). */
int ask_password_tty(const char *prompt, char **ret);
int read_password_line(int fd, char **ret);

/* A phrase (lowercase, no trailing period) naming one of the errors above. */
const char *ask_password_strerror(int r);
