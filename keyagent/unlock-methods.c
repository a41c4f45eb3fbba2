/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "config.h"
#include "home-ops.h"
#include "log.h"
#include "luks-token.h"
#include "luks.h"
#include "recovery-key.h"
#include "secret.h"
#include "time-util.h"
#include "token-fido2.h"
#include "token-parse.h"
#include "token.h"
#include "unlock-methods.h"

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

static bool is_pkcs11_token(struct json_object *t) {
        return streq(token_type(t), "systemd-pkcs11") && luks_token_keyslot(t) >= 0;
}

/* Is one of the home's PKCS#11 tokens present? Asking loads modules, and
 * anyone may ask (Unlock without a secret, the first round of every PAM
 * login): the answer stands for PKCS11_PROBE_USEC, so a client calling in a
 * loop makes the agent load a module at most that often per home. */
#define PKCS11_PROBE_USEC (2 * 1000000ULL)

static bool pkcs11_probe(struct home *h, struct json_object *tokens) {
        uint64_t now = now_usec();
        bool present = false;

        if (h->pkcs11_probe_usec != 0 && now >= h->pkcs11_probe_usec && now - h->pkcs11_probe_usec < PKCS11_PROBE_USEC)
                return h->pkcs11_probe_present;
        for (size_t i = 0; i < json_object_array_length(tokens) && !present; i++) {
                struct json_object *t = json_object_array_get_idx(tokens, i);

                present = is_pkcs11_token(t) && token_pkcs11_present(t);
        }
        h->pkcs11_probe_usec = now;
        h->pkcs11_probe_present = present;
        return present;
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
        if (!s->pin) {
                if (!pkcs11_probe(h, tokens))
                        return -ENOKEY;
                e->token_type = "pkcs11";
                return agent_error_set(e, -ENOKEY, AGENT_ERROR_PIN_NEEDED, "The security token of %s needs its PIN.",
                                       h->user_name);
        }
        for (size_t i = 0; i < json_object_array_length(tokens) && r == -ENOKEY; i++) {
                struct json_object *t = json_object_array_get_idx(tokens, i);
                _cleanup_secret_ char *pass = NULL;
                int slot = luks_token_keyslot(t);

                if (!is_pkcs11_token(t))
                        continue;
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

        if (token_fido2_probe(h->config, t, &probe) < 0)
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
                r = token_fido2_passphrase(h->config, t, s->pin, &pass, e);
                if (r == -ENXIO)
                        r = -ENOKEY; /* not on a device that is here */
                else if (r >= 0)
                        r = key_from_passphrase(h, slot, pass, key, key_size, geo, e);
        }
        return r;
}

/* homefs-ssh-agent tokens: the signature of the enrolled key over the
 * token's challenge, verified, derives the passphrase. */
static int method_ssh_agent(struct home *h, const struct unlock_secrets *s, void *key, size_t *key_size,
                            struct luks_geometry *geo, struct agent_error *e) {
        _cleanup_json_ struct json_object *tokens = NULL;
        int r = -ENOKEY;

        if (!s->ssh_key || luks_tokens_list(h->record->image_path, &tokens) < 0)
                return -ENOKEY;
        for (size_t i = 0; i < json_object_array_length(tokens) && r == -ENOKEY; i++) {
                struct json_object *t = json_object_array_get_idx(tokens, i);
                _cleanup_secret_ char *pass = NULL;
                int slot = luks_token_keyslot(t);

                if (!streq(token_type(t), SSH_AGENT_TOKEN_TYPE) || slot < 0)
                        continue;
                r = token_ssh_agent_passphrase(t, h->user_name, s->ssh_key, s->ssh_signature, s->ssh_signature_len,
                                               &pass);
                if (r >= 0)
                        r = key_from_passphrase(h, slot, pass, key, key_size, geo, e);
                else if (r == -EPERM) {
                        log_info("%s: an SSH signature did not verify", h->user_name);
                        return -ENOKEY;
                } else
                        r = -ENOKEY; /* another key's token, or a malformed one */
        }
        return r;
}

/* Tokens of a kind this build cannot use (meson -Dpkcs11, -Dfido2): named
 * when the password is asked for, so that nobody waits for a token prompt. */
static const char *unusable_tokens(struct home *h) {
        _cleanup_json_ struct json_object *tokens = NULL;
        bool pkcs11 = false, fido2 = false;

        if ((HAVE_PKCS11 && HAVE_FIDO2) || luks_tokens_list(h->record->image_path, &tokens) < 0)
                return "";
        for (size_t i = 0; i < json_object_array_length(tokens); i++) {
                struct json_object *t = json_object_array_get_idx(tokens, i);

                pkcs11 |= !HAVE_PKCS11 && is_pkcs11_token(t);
                fido2 |= !HAVE_FIDO2 && streq(token_type(t), "systemd-fido2");
        }
        if (pkcs11 && fido2)
                return " (this homefs-agent was built without PKCS#11 and FIDO2 support: its security tokens cannot be used)";
        if (pkcs11)
                return " (this homefs-agent was built without PKCS#11 support: its security token cannot be used)";
        if (fido2)
                return " (this homefs-agent was built without FIDO2 support: its security key cannot be used)";
        return "";
}

/* A signature is offered alone: no other method applies to it. */
static const struct unlock_method ssh_agent_method = { "SSH agent key", method_ssh_agent };

static const struct unlock_method unlock_methods[] = {
        { "password", method_password },
        { "recovery key", method_recovery_key },
        { "PKCS#11 token", method_pkcs11 },
        { "FIDO2 security key", method_fido2 },
};

/* Try the methods; counts failures for the rate limit. */
int unlock_methods_get_key(struct home *h, const struct unlock_secrets *s, void *key, size_t *key_size,
                          struct luks_geometry *geo, struct agent_error *e) {
        const struct unlock_method *m = s->ssh_key ? &ssh_agent_method : unlock_methods;
        size_t n = s->ssh_key ? 1 : ELEMENTSOF(unlock_methods);
        int r = -ENOKEY;

        for (size_t i = 0; i < n && r == -ENOKEY; i++) {
                r = m[i].get_key(h, s, key, key_size, geo, e);
                if (r >= 0)
                        log_info("%s: opened by %s", h->user_name, m[i].name);
        }
        if (r >= 0) {
                home_note_good_attempt(h);
                return 0;
        }
        if (e->name && !streq(e->name, AGENT_ERROR_BAD_PIN))
                return r; /* a question (PIN needed) or a failure: not a guess */
        if (!s->password && !s->pin && !s->ssh_key)
                return agent_error_set(e, -ENOKEY, AGENT_ERROR_PASSWORD_NEEDED, "A password is needed for %s%s.", h->user_name,
                                       unusable_tokens(h));
        home_note_failed_attempt(h);
        if (s->ssh_key)
                return agent_error_set(e, -EPERM, AGENT_ERROR_BAD_CREDENTIALS,
                                       "The SSH signature does not open the home of %s.", h->user_name);
        if (s->password)
                return agent_error_set(e, -EPERM, AGENT_ERROR_BAD_CREDENTIALS, "Wrong password for %s.", h->user_name);
        if (!e->name) {
                e->token_type = "pkcs11";
                return agent_error_set(e, -ENXIO, AGENT_ERROR_TOKEN_ABSENT,
                                       "None of the security tokens of %s is present; insert one and try again.", h->user_name);
        }
        return r;
}
