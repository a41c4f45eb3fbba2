/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "record.h"

/* The passwd/group/shadow entries of homefs users, made and removed with the
 * shadow suite's own tools (useradd/groupadd/userdel/groupdel), which lock the
 * files properly. The shadow password is locked ("!"): homefs, not pam_unix,
 * checks credentials. */

/* Pick a free uid in [HOMEFS_UID_MIN, HOMEFS_UID_MAX], searching from a
 * random place, that is neither a uid nor a gid in use. -EBUSY when the
 * range is exhausted. */
int accounts_allocate_uid(uint32_t *ret);

/* -EEXIST if the name is already a user or group, or the uid/gid is taken. */
int accounts_check_free(const char *user_name, uint32_t uid, uint32_t gid);

/* Add the group (gid = record->gid, name = userName) and the user. If the
 * uid/gid is taken meanwhile (another tool added a user) and
 * may_pick_another_uid, the next free one is taken and stored in r. */
int accounts_add(struct user_record *r, const char *login_shell, bool may_pick_another_uid);

/* A host-wide lock (flock on /run/homefs-accounts.lock; in /run, which
 * only root may write, so that no user can hold it) to hold from
 * choosing a uid until its accounts exist, so that several agents on one
 * host (test runs in parallel) never pick the same uid. Returns the lock's
 * fd, or -1 if it cannot be had (then creates are only serialized within
 * this agent). Release with accounts_unlock(). */
int accounts_lock(void);
void accounts_unlock(int fd);

/* The shell the passwd entry of r names: login_shell, the agent's
 * --login-shell (the SSH stub, which then execs the record's shell), else
 * (login_shell "") the record's. add and sync write it. */
const char *accounts_passwd_shell(const struct user_record *r, const char *login_shell);

/* Make the passwd entry of r say what the record says (real name, home
 * directory, shell) with usermod, if it differs. why (may be NULL) is logged
 * with what changed. 0 if nothing had to change, 1 if it was changed, or a
 * negative errno (-ENOENT: no passwd entry). A uid or gid that differs is
 * logged, never changed here: usermod -u would chown inside the home. */
int accounts_sync(const struct user_record *r, const char *login_shell, const char *why);

/* Remove the user and their group; missing entries are not an error. */
int accounts_remove(const char *user_name);
