/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "agent-error.h"
#include "home.h"

/* The transitions of a home (DESIGN.md, "States of a home"). Except for
 * create, each is called with the home's lock held; each fills e with the
 * typed error the caller sees. */

/* diskSizePercent is 0 unless the caller gave the size as a percentage. */
int home_create(struct json_object *record, const char *password, unsigned disk_size_percent,
                struct user_record **ret, struct agent_error *e);

/* What a caller may offer to unlock with; NULL for what was not given. */
struct unlock_secrets {
        const char *password;   /* a password or recovery key */
        const char *pin;        /* a security token's PIN */
        bool presence_told;     /* the caller told the user to touch the security key */
};

/* Verify the secrets (rate-limited) and unlock. An unlocked home is only
 * verified, and *already is set. Without any secret, the error says what is
 * needed: PinNeeded when a security token is present, else PasswordNeeded. */
int home_unlock(struct home *h, const struct unlock_secrets *secrets, bool *already, struct agent_error *e);

/* Credentials (keyslots): list them, add some with an existing password,
 * remove one (never the last). */
struct credential_spec {
        bool recovery_key;
        const char *pkcs11_uri; /* or NULL */
        const char *pin;        /* the token's PIN, if it wants one at enrollment */
        const char *fido2_device; /* a FIDO2 device path or "auto", or NULL */
        bool fido2_with_client_pin, fido2_with_up, fido2_with_uv;
};
int home_list_credentials(struct home *h, struct json_object **ret, struct agent_error *e);
int home_add_credentials(struct home *h, const char *password, const struct credential_spec *spec,
                         char **ret_recovery_key, struct agent_error *e);
int home_remove_credential(struct home *h, int keyslot, struct agent_error *e);

/* Revoke and lock: front detaches, the filesystem is synced and shut down,
 * the device torn down, the key gone. Locking a locked home succeeds. */
int home_lock(struct home *h, struct agent_error *e);

/* What home_lock does after the front has detached (or died): shut down the
 * backing filesystem and the activation. */
void home_teardown(struct home *h);

int home_passwd(struct home *h, const char *old_password, const char *new_password, struct agent_error *e);

int home_remove(struct home *h, bool force, struct agent_error *e);
