/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* Running helper programs (useradd, mkfs.ext4, e2fsck, homefsd) from the
 * multi-threaded agent: argv is built by the caller, the environment is a fixed
 * minimal one (never the agent's), stdin is /dev/null, and between fork and
 * exec only async-signal-safe calls are made. */

/* In a child between fork() and exec(): unblock every signal and set every
 * ignored one back to its default (the agent blocks SIGTERM, SIGINT and
 * SIGHUP for its signal loop and ignores SIGPIPE; exec keeps both, and a
 * program started with them would never die of a broken pipe or a TERM).
 * Async-signal-safe. Every child the agent execs goes through it. */
void spawn_reset_signals(void);

/* Run argv[0] (an absolute path) and wait. Returns its exit status (0..255),
 * or negative errno if it could not be run or died from a signal (-EINTR). */
int spawn_run(char *const argv[]);

/* Like spawn_run, but the child's stdout is captured into buf (NUL-terminated,
 * truncated to size-1). */
int spawn_run_capture(char *const argv[], char *buf, size_t size);

/* Start a daemon that is not our child: double fork, setsid, exec. The given
 * environment entries (NULL-terminated, "NAME=value", paths only) are added to
 * the minimal environment. Returns 0 once the exec has happened, or negative
 * errno (an exec failure is reported through a CLOEXEC pipe). */
int spawn_daemon(char *const argv[], char *const extra_env[]);

/* Give every helper SYSTEMD_BYPASS_USERDB=service (call before any thread
 * spawns). */
void spawn_bypass_userdb(const char *service);

/* Find a program in /usr/sbin, /usr/bin, /sbin, /bin; writes the absolute
 * path into buf. -ENOENT if absent. */
int find_program(const char *name, char *buf, size_t size);
