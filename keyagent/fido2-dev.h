/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <fido.h>
#include <limits.h>
#include <stddef.h>

#include "agent-config.h"

/* FIDO2 devices through libfido2. A path is a HID device (/dev/hidrawN), or
 * "unix:/path/to/socket": CTAPHID's 64-byte reports as the packets of a Unix
 * seqpacket socket, through fido_dev_set_io_functions() -- the way to reach
 * an authenticator that is not a local HID device (the tests' software
 * authenticator, a forwarded key). */

#define FIDO2_PATHS_MAX 16U

/* Open path; a libfido2 error (FIDO_ERR_*) or FIDO_OK. */
int fido2_dev_open(const char *path, fido_dev_t **ret);
void fido2_dev_close(fido_dev_t *d);

/* The devices to look at: the agent's --fido2-device paths (config), then
 * the HID security keys libfido2 finds. */
size_t fido2_dev_paths(const struct agent_config *config, char paths[][PATH_MAX], size_t max);
