/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "backing.h"
#include "front.h"
#include "home-ops.h"
#include "log.h"
#include "luks-token.h"
#include "luks.h"
#include "recovery-key.h"
#include "registry.h"
#include "secret.h"
#include "token-fido2.h"
#include "token.h"

/* Check the account and the rate limit before any expensive work. */
static int unlock_precheck(struct home *h, struct agent_error *e) {
        uint64_t retry = 0;

        if (h->record->locked)
                return agent_error_set(e, -EPERM, AGENT_ERROR_ACCOUNT_LOCKED,
                                       "The account %s is locked; an administrator can unlock it with 'homefsctl update %s --locked=no'.",
                                       h->user_name, h->user_name);
        if (access(h->record->image_path, F_OK) < 0)
                return agent_error_set(e, -ENOENT, AGENT_ERROR_IMAGE_MISSING,
                                       "The image of %s (%s) is missing; restore it from backup.",
                                       h->user_name, h->record->image_path);
        if (!ratelimit_check(&h->ratelimit, now_usec(), &retry)) {
                e->retry_after_usec = retry;
                return agent_error_set(e, -EAGAIN, AGENT_ERROR_RATE_LIMITED,
                                       "Too many failed attempts for %s; try again in %llu s.",
                                       h->user_name, (unsigned long long) ((retry + 999999) / 1000000));
        }
        return 0;
}

/* The ways to open a keyslot, tried in order. Each returns 0 with the
 * volume key, -ENOKEY when it does not apply (or nothing matched), or another
 * error with e filled in, which ends the search. */
struct unlock_method {
        const char *name;
        int (*get_key)(struct home *h, const struct unlock_secrets *s, void *key, size_t *key_size,
                       struct luks_geometry *geo, struct agent_error *e);
};

static int key_from_passphrase(struct home *h, int keyslot, const char *pass, void *key, size_t *key_size,
                               struct luks_geometry *geo, struct agent_error *e) {
        int r = luks_get_volume_key_slot(h->record->image_path, keyslot, pass, key, key_size, geo);

        if (r == -EPERM)
                return -ENOKEY;
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED,
                                       "Cannot read the LUKS2 header of %s: %s.", h->record->image_path, strerror(-r));
        return 0;
}

/* Password keyslots, which include recovery keys typed exactly. */
static int method_password(struct home *h, const struct unlock_secrets *s, void *key, size_t *key_size,
                           struct luks_geometry *geo, struct agent_error *e) {
        if (!s->password)
                return -ENOKEY;
        return key_from_passphrase(h, CRYPT_ANY_SLOT, s->password, key, key_size, geo, e);
}

/* A recovery key typed without dashes or in upper case. */
static int method_recovery_key(struct home *h, const struct unlock_secrets *s, void *key, size_t *key_size,
                               struct luks_geometry *geo, struct agent_error *e) {
        _cleanup_secret_ char *norm = NULL;

        if (!s->password)
                return -ENOKEY;
        norm = secret_alloc(RECOVERY_KEY_LENGTH + 1);
        if (!norm)
                return -ENOMEM;
        if (recovery_key_normalize(s->password, norm) < 0 || streq(norm, s->password))
                return -ENOKEY;
        return key_from_passphrase(h, CRYPT_ANY_SLOT, norm, key, key_size, geo, e);
}

/* systemd-pkcs11 tokens: with a PIN, the token decrypts the keyslot's
 * passphrase; without one (and no password), ask for it if the token is
 * present. */
static int method_pkcs11(struct home *h, const struct unlock_secrets *s, void *key, size_t *key_size,
                         struct luks_geometry *geo, struct agent_error *e) {
        _cleanup_json_ struct json_object *tokens = NULL;
        int r = -ENOKEY;

        if (!s->pin && s->password)
                return -ENOKEY;
        if (luks_tokens_list(h->record->image_path, &tokens) < 0)
                return -ENOKEY;
        for (size_t i = 0; i < json_object_array_length(tokens) && r == -ENOKEY; i++) {
                struct json_object *t = json_object_array_get_idx(tokens, i);
                _cleanup_secret_ char *pass = NULL;
                int slot = luks_token_keyslot(t);

                if (!streq(token_type(t), "systemd-pkcs11") || slot < 0)
                        continue;
                if (!s->pin) {
                        if (!token_pkcs11_present(t))
                                continue;
                        e->token_type = "pkcs11";
                        return agent_error_set(e, -ENOKEY, AGENT_ERROR_PIN_NEEDED,
                                               "The security token of %s needs its PIN.", h->user_name);
                }
                r = token_pkcs11_passphrase(t, s->pin, &pass, e);
                if (r == -ENXIO) { /* not this token: forget the error, try the next */
                        *e = (struct agent_error) {};
                        r = -ENOKEY;
                        continue;
                }
                if (r >= 0)
                        r = key_from_passphrase(h, slot, pass, key, key_size, geo, e);
        }
        return r;
}

/* Without the PIN or the go-ahead for a touch, say what the token needs. */
static int fido2_ask(struct home *h, struct json_object *t, const struct unlock_secrets *s, struct agent_error *e) {
        struct fido2_probe probe;

        if (token_fido2_probe(t, &probe) < 0)
                return -ENOKEY; /* not plugged in */
        e->token_type = "fido2";
        if (probe.needs_pin && !s->pin) {
                e->user_presence = probe.needs_presence;
                return agent_error_set(e, -ENOANO, AGENT_ERROR_PIN_NEEDED, "The security key of %s needs its PIN.", h->user_name);
        }
        return agent_error_set(e, -ENOMSG, AGENT_ERROR_PRESENCE_NEEDED,
                               "The security key of %s will need a touch; call again once the user knows.", h->user_name);
}

/* systemd-fido2 tokens: hmac-secret from the key holding the credential. */
static int method_fido2(struct home *h, const struct unlock_secrets *s, void *key, size_t *key_size,
                        struct luks_geometry *geo, struct agent_error *e) {
        _cleanup_json_ struct json_object *tokens = NULL;
        int r = -ENOKEY;

        if (s->password || luks_tokens_list(h->record->image_path, &tokens) < 0)
                return -ENOKEY;
        for (size_t i = 0; i < json_object_array_length(tokens) && r == -ENOKEY; i++) {
                struct json_object *t = json_object_array_get_idx(tokens, i);
                _cleanup_secret_ char *pass = NULL;
                int slot = luks_token_keyslot(t);

                if (!streq(token_type(t), "systemd-fido2") || slot < 0)
                        continue;
                if (!s->pin && !s->presence_told) {
                        r = fido2_ask(h, t, s, e);
                        continue;
                }
                r = token_fido2_passphrase(t, s->pin, &pass, e);
                if (r == -ENXIO)
                        r = -ENOKEY; /* not on a device that is here */
                else if (r >= 0)
                        r = key_from_passphrase(h, slot, pass, key, key_size, geo, e);
        }
        return r;
}

static const struct unlock_method unlock_methods[] = {
        { "password", method_password },
        { "recovery key", method_recovery_key },
        { "PKCS#11 token", method_pkcs11 },
        { "FIDO2 security key", method_fido2 },
};

/* Try the methods; counts failures for the rate limit. */
static int unlock_get_key(struct home *h, const struct unlock_secrets *s, void *key, size_t *key_size,
                          struct luks_geometry *geo, struct agent_error *e) {
        int r = -ENOKEY;

        for (size_t i = 0; i < ELEMENTSOF(unlock_methods) && r == -ENOKEY; i++) {
                r = unlock_methods[i].get_key(h, s, key, key_size, geo, e);
                if (r >= 0)
                        log_info("%s: opened by %s", h->user_name, unlock_methods[i].name);
        }
        if (r >= 0) {
                ratelimit_succeeded(&h->ratelimit);
                return 0;
        }
        if (e->name && !streq(e->name, AGENT_ERROR_BAD_PIN))
                return r; /* a question (PIN needed) or a failure: not a guess */
        if (!s->password && !s->pin)
                return agent_error_set(e, -ENOKEY, AGENT_ERROR_PASSWORD_NEEDED, "A password is needed for %s.", h->user_name);
        ratelimit_failed(&h->ratelimit, now_usec());
        if (s->password)
                return agent_error_set(e, -EPERM, AGENT_ERROR_BAD_CREDENTIALS, "Wrong password for %s.", h->user_name);
        if (!e->name) {
                e->token_type = "pkcs11";
                return agent_error_set(e, -ENXIO, AGENT_ERROR_TOKEN_ABSENT,
                                       "None of the security tokens of %s is present; insert one and try again.", h->user_name);
        }
        return r;
}

/* Activate, check and mount the filesystem, and hand the home to the front. */
static int unlock_attach(struct home *h, const void *key, size_t key_size, const struct luks_geometry *geo,
                         struct agent_error *e) {
        char runtime[PATH_MAX];
        int mount_fd = -1, home_fd = -1, r;

        r = home_runtime_dir(h, runtime, sizeof(runtime));
        if (r < 0)
                return r;
        r = activation_start(&h->activation, agent_config.activation, agent_config.cryptdev,
                             h->record->image_path, h->user_name, runtime, key, key_size, geo,
                             h->record->luks_discard);
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED,
                                       "Activating the image of %s failed: %s.", h->user_name, strerror(-r));
        r = backing_fsck(h->activation.device);
        /* After a resize while locked, a shrink to "min", or an online
         * growth the kernel refused. */
        if (r >= 0 && backing_grow_offline(h->activation.device) < 0)
                log_warning("the filesystem of %s could not grow to its device; it keeps its size", h->user_name);
        if (r >= 0)
                r = backing_mount(h->activation.device, h->record->luks_discard, &mount_fd);
        if (r >= 0)
                r = backing_open_home(mount_fd, h->user_name, &home_fd);
        if (r >= 0)
                r = front_attach(h, home_fd);
        safe_close(home_fd);
        if (r < 0) {
                safe_close(mount_fd);
                (void) activation_stop(&h->activation);
                return agent_error_set(e, r, AGENT_ERROR_FAILED,
                                       "Mounting the home of %s failed: %s.", h->user_name, strerror(-r));
        }
        h->mount_fd = mount_fd;
        h->unlocked = true;
        return 0;
}

int home_verify_secrets(struct home *h, const struct unlock_secrets *secrets, void **key, size_t *key_size,
                        struct luks_geometry *geo, struct agent_error *e) {
        int r;

        r = unlock_precheck(h, e);
        if (r < 0)
                return r;
        *key = secret_alloc(LUKS_VOLUME_KEY_MAX);
        if (!*key)
                return -ENOMEM;
        return unlock_get_key(h, secrets, *key, key_size, geo, e);
}

int home_verify(struct home *h, const char *password, void **key, size_t *key_size,
                struct luks_geometry *geo, struct agent_error *e) {
        return home_verify_secrets(h, &(struct unlock_secrets) { .password = password }, key, key_size, geo, e);
}

int home_unlock(struct home *h, const struct unlock_secrets *secrets, bool *already, struct agent_error *e) {
        _cleanup_secret_ void *key = NULL;
        struct luks_geometry geo;
        size_t key_size = 0;
        int r;

        *already = false;
        r = home_verify_secrets(h, secrets, &key, &key_size, &geo, e);
        if (r < 0)
                return r;
        if (h->unlocked) {
                *already = true;
                return 0;
        }
        r = front_ensure(h);
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FRONT_NOT_RUNNING,
                                       "homefsd for %s is not running and could not be started; see the agent's log.", h->user_name);
        return unlock_attach(h, key, key_size, &geo, e);
        /* key is wiped and freed on return: activation is done with it. */
}

int home_authenticate(struct home *h, const char *password, struct agent_error *e) {
        _cleanup_secret_ void *key = NULL;
        struct luks_geometry geo;
        size_t key_size = 0;

        return home_verify(h, password, &key, &key_size, &geo, e);
}

void home_teardown(struct home *h) {
        if (h->mount_fd >= 0) {
                (void) backing_shutdown(h->mount_fd);
                h->mount_fd = safe_close(h->mount_fd);
        }
        (void) activation_stop(&h->activation);
        h->unlocked = false;
}

int home_lock(struct home *h, struct agent_error *e) {
        int r;

        if (!h->unlocked)
                return 0;
        r = front_detach(h);
        if (r < 0 && r != -ENOTCONN)
                log_warning_errno(r, "homefsd for %s did not detach cleanly; locking anyway", h->user_name);
        home_teardown(h);
        log_info("locked %s", h->user_name);
        return 0;
}

int home_passwd(struct home *h, const char *old_password, const char *new_password, struct agent_error *e) {
        int r;

        r = unlock_precheck(h, e);
        if (r < 0)
                return r;
        r = luks_change_password(h->record->image_path, h->record, old_password, new_password);
        if (r == -EPERM) {
                ratelimit_failed(&h->ratelimit, now_usec());
                return agent_error_set(e, r, AGENT_ERROR_BAD_CREDENTIALS, "Wrong current password for %s.", h->user_name);
        }
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Changing the password of %s failed: %s.",
                                       h->user_name, strerror(-r));
        ratelimit_succeeded(&h->ratelimit);
        h->record->last_password_change_usec = h->record->last_change_usec = now_usec();
        r = user_record_save(registry_records_fd(), h->record);
        if (r < 0)
                log_warning_errno(r, "password of %s changed, but saving its record failed: %m", h->user_name);
        return 0;
}
