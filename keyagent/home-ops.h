/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "agent-error.h"
#include "home.h"
#include "luks.h"
#include "ssh-key.h"

/* The transitions of a home (docs/architecture.md, "Unlock order" and
 * "Lock order"). Except for
 * create, each is called with the home's lock held; each fills e with the
 * typed error the caller sees. */

/* disk_size_percent is 0 unless the caller gave the size as a percentage.
 * adopt: an image already at the record's imagePath is taken over (a home
 * moved from another host with its record) if the password opens it.
 * allow_overcommit: a size beyond the host's unpromised room (host-room.h)
 * is accepted with a warning (*ret_overcommitted) instead of refused. */
struct create_options {
        unsigned disk_size_percent;
        bool adopt;
        bool allow_overcommit;
};
int home_create(const struct agent_config *config, struct json_object *record, const char *password,
                const struct create_options *o, struct user_record **ret, bool *ret_overcommitted,
                struct agent_error *e);

/* What a caller may offer to unlock with; NULL for what was not given. */
struct unlock_secrets {
        const char *password;   /* a password or recovery key */
        const char *pin;        /* a security token's PIN */
        bool presence_told;     /* the caller told the user to touch the security key */
        /* A signature by a key in the user's ssh-agent (homefs-ssh-agent):
         * the key and the SSH signature blob. Offered alone. */
        const struct ssh_pubkey *ssh_key;
        const uint8_t *ssh_signature;
        size_t ssh_signature_len;
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
        struct json_object *ssh_unlock_keys; /* [{publicKey, salt, signature}], or NULL */
};
int home_list_credentials(struct home *h, struct json_object **ret, struct agent_error *e);
int home_add_credentials(struct home *h, const char *password, const struct credential_spec *spec,
                         char **ret_recovery_key, struct agent_error *e);
int home_remove_credential(struct home *h, int keyslot, struct agent_error *e);
/* The challenges of the home's homefs-ssh-agent keys (GetSshUnlockChallenges). */
int home_ssh_unlock_challenges(struct home *h, struct json_object **ret, struct agent_error *e);

/* The credential check of unlock, authenticate and an offline resize: the
 * account, the rate limit, then the volume key in secret memory (*key, freed
 * by the caller with secret_free()) and the image's geometry. */
int home_verify(struct home *h, const char *password, void **key, size_t *key_size,
                struct luks_geometry *geo, struct agent_error *e);

/* The same with whatever the caller offered (home_unlock's methods). */
int home_verify_secrets(struct home *h, const struct unlock_secrets *secrets, void **key, size_t *key_size,
                        struct luks_geometry *geo, struct agent_error *e);

/* Verify the password as unlock does (rate limit, account lock), and change
 * nothing else. */
int home_authenticate(struct home *h, const char *password, struct agent_error *e);

/* Change record fields the schema marks changeable: changes is an object of
 * field -> value (null unsets). All or nothing; lastChangeUSec moves. */
int home_update(struct home *h, struct json_object *changes, struct agent_error *e);

/* Deactivate: front detaches, the filesystem is synced and shut down, the
 * device torn down, the key gone (a locked home's held requests fail with
 * EIO first). Deactivating an inactive home succeeds. */
int home_deactivate(struct home *h, struct agent_error *e);

/* Lock with sessions kept (home-lock.c): freeze, hold, sync, wipe the key.
 * Locking a locked home succeeds; an inactive one is an error. */
int home_lock(struct home *h, struct agent_error *e);
/* Unlock of a locked home, with the key its credential opened. */
int home_resume(struct home *h, const void *key, size_t key_size, struct agent_error *e);
/* Before tearing down a locked home: held I/O fails with EIO; thaw. */
void home_lock_abandon(struct home *h);

/* The failed-attempt rate limit (ratelimit.h) with the record's burst and
 * interval and the count kept across restarts: check before trying a
 * credential (false: refused, *ret_retry_after_usec says when to retry);
 * count a failed (wrong password, PIN, token) or a good check after. Every
 * way of checking a credential must use these, not the bucket directly. */
bool home_ratelimit_check(struct home *h, uint64_t *ret_retry_after_usec);
void home_note_failed_attempt(struct home *h);
void home_note_good_attempt(struct home *h);

/* What home_deactivate does after the front has detached (or died): shut down the
 * backing filesystem and the activation. */
void home_teardown(struct home *h);

/* home-front.c. The state as seen now (checks the front is still
 * connected). Call with the home's lock held. */
enum home_state home_get_state(struct home *h);

/* home_front_alive(), and if the front died while the home was activated,
 * deactivate it (the one place that decides this; the state getter and the
 * watcher both go through it). Call with the home's lock held. */
bool home_check_front(struct home *h);

/* A connection said RegisterFront: take it over for the home (it gets the
 * reply here), and deactivate a home its previous front left activated.
 * Called without any lock held; on success the conn belongs to the home.
 * -EBUSY: a live front serves the home; -EINVAL: another home directory. */
int home_register_front(struct home *h, struct proto_conn *conn, const char *home_directory);

/* Resize the image to new_size bytes (0: as large as the host's room not
 * promised to other homes allows; growth is checked as create's size is; UINT64_MAX: as small as the data allows). Grow works in every
 * state (online while unlocked; otherwise the filesystem grows at the next
 * unlock); shrink needs the home not unlocked and the password. *ret_size:
 * the size reached; *ret_pending: the filesystem grows at the next unlock. */
int home_resize(struct home *h, uint64_t new_size, const char *password, bool allow_overcommit, uint64_t *ret_size,
                bool *ret_pending, bool *ret_overcommitted, struct agent_error *e);

/* The processes with a cwd, root, open file or mapping at or below
 * home_dir: an array of {pid, command} (at most 64). */
struct json_object *home_holders(const char *home_dir);
/* Only the processes that have home files memory-mapped (what Lock reports:
 * their mapped pages stay readable to them). */
struct json_object *home_mapped_by(const char *home_dir);

/* Inspect's details (home-inspect.c): sizes in every state, the filesystem's
 * size and use while unlocked, credentials, activation, holders. */
void home_add_sizes(struct home *h, struct json_object *o);
void home_add_details(struct home *h, struct json_object *o);

int home_passwd(struct home *h, const char *old_password, const char *new_password, struct agent_error *e);

/* May the account log in now (locked, notBeforeUSec, notAfterUSec)? Fills
 * AccountLocked or AccountExpired. */
int home_check_login(struct home *h, struct agent_error *e);

int home_remove(struct home *h, bool force, struct agent_error *e);
