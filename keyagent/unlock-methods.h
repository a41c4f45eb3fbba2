/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "agent-error.h"
#include "home-ops.h"
#include "luks.h"

/* Open a keyslot with what the caller offered, trying in order: password
 * keyslots (passwords and recovery keys), a recovery key typed loosely,
 * systemd-pkcs11 tokens with the PIN, systemd-fido2 keys. Counts failures
 * for the rate limit. Without any secret, e says what is needed (PinNeeded,
 * UserPresenceNeeded, PasswordNeeded) and nothing is counted. */
int unlock_methods_get_key(struct home *h, const struct unlock_secrets *s, void *key, size_t *key_size,
                           struct luks_geometry *geo, struct agent_error *e);
