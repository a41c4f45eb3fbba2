/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <sys/types.h>

#include "agent-error.h"

/* One log line per failed credential attempt (Unlock, Authenticate,
 * Passwd, AcquireSession with a password): the user name asked for, the
 * kind of secret, the caller's uid and pid, and the error's name. Never the
 * secret. A round without a secret that only learns what to ask for
 * (PasswordNeeded, PinNeeded, ...) is not an attempt. */
void audit_failed_attempt(const char *method, struct json_object *params, uid_t uid, pid_t pid,
                          const struct agent_error *e, int r);
