/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent-config.h"
#include "agent-error.h"

/* systemd-fido2 tokens: an ES256 credential with hmac-secret for the relying
 * party io.systemd.cryptsetup; the keyslot passphrase is the base64 of the
 * hmac-secret output for the token's salt. */

struct fido2_options {
        const char *device;     /* a path (see fido2-dev.h) or "auto" */
        bool with_client_pin, with_up, with_uv;
        const char *pin;        /* or NULL */
};

int token_fido2_enroll(const struct agent_config *config, const char *image_path, const char *user_name,
                       const struct fido2_options *o, const void *volume_key, size_t volume_key_size, struct agent_error *e);

/* What unlocking with the token will need; -ENXIO if no device holds it. */
struct fido2_probe {
        bool needs_pin, needs_presence;
};
int token_fido2_probe(const struct agent_config *config, struct json_object *token, struct fido2_probe *ret);

/* The keyslot passphrase (secret memory). -ENXIO (e untouched) when no
 * device holds the credential. */
int token_fido2_passphrase(const struct agent_config *config, struct json_object *token, const char *pin, char **ret,
                           struct agent_error *e);
