/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdint.h>
#include <sys/types.h>

#include "home.h"

/* The per-user queue of `homefsctl run-when-unlocked` jobs: root-owned
 * directories $HOMEFS_STATE_DIR/spool/<user> (0700), outside the home and
 * NOT encrypted; one JSON file per job ({"argv":[...],"uid":N,"queuedUSec":N}),
 * named by the time it was queued so that a listing is in order. Bounded:
 * SPOOL_JOBS_MAX jobs of at most SPOOL_JOB_MAX bytes of arguments. */

#define SPOOL_JOBS_MAX 32U
#define SPOOL_JOB_MAX 4096U
#define SPOOL_ARGS_MAX 64U

/* Check an argv array from a call: 1..SPOOL_ARGS_MAX non-empty strings of
 * at most SPOOL_JOB_MAX bytes in all. 0 or -EINVAL / -E2BIG. */
int spool_check_argv(struct json_object *argv);

/* Queue a job for user, whose uid is recorded with it: a job runs only as
 * the uid it was queued by (a later user of the same name never inherits it).
 * -EDQUOT when the queue is full. *ret_id: its id. */
int spool_add(const char *user, uid_t uid, struct json_object *argv, uint64_t *ret_id);

/* The jobs, oldest first: an array of {id, argv, queuedUSec}. */
int spool_list(const char *user, struct json_object **ret);

/* Remove every job; *ret_n: how many there were. */
int spool_clear(const char *user, unsigned *ret_n);

/* Remove every job and the user's spool directory (home removal). */
int spool_forget(const char *user);

/* Take every job out of the queue, oldest first (array as spool_list());
 * each file is removed as it is read: at most once. */
int spool_take_all(const char *user, struct json_object **ret);

/* Take the jobs out of the queue (each file is removed before its job can
 * run: at most once) and run them one after another in a thread of their
 * own, as the home's user, in the home, logging their output and exit
 * status. Called after an unlock, with the home's lock held. */
void spool_run_after_unlock(struct home *h);
