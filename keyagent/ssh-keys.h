/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>

#include "home.h"

/* The SSH public keys that may log in as a home's user, for
 * io.homefs.Agent.GetSshKeys: the record's sshAuthorizedKeys and, while the
 * home is unlocked, the lines of ~/.ssh/authorized_keys in it. Public data
 * only. Call with the home's lock held; returns a JSON array of strings. */
int ssh_keys_get(struct home *h, struct json_object **ret);

/* The authorized_keys file is read only up to this size, and all keys
 * together are cut at SSH_KEYS_TOTAL_MAX bytes, so that the reply stays well
 * within PROTO_MESSAGE_MAX (the record holds at most 16 keys of 2 KiB). */
#define SSH_KEYS_FILE_MAX (16U * 1024U)
#define SSH_KEYS_TOTAL_MAX (48U * 1024U)
