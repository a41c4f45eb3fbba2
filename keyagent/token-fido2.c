/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "fido2-dev.h"
#include "log.h"
#include "luks-token.h"
#include "secret.h"
#include "token-fido2.h"
#include "token-parse.h"
#include "token.h"

/* The relying party systemd uses, so that keys enrolled here work with
 * systemd-cryptsetup and the other way round. */
#define FIDO2_RP_NAME "Encrypted Volume"
#define HMAC_LEN 32U

static void assert_freep(fido_assert_t **a) {
        fido_assert_free(a);
}
static void cred_freep(fido_cred_t **c) {
        fido_cred_free(c);
}

/* The typed error for a libfido2 failure. */
static int fido_error(int f, fido_dev_t *d, struct agent_error *e) {
        int retries = 0;

        e->token_type = "fido2";
        switch (f) {
        case FIDO_ERR_PIN_REQUIRED:
                return agent_error_set(e, -ENOANO, AGENT_ERROR_PIN_NEEDED, "The security key needs its PIN.");
        case FIDO_ERR_PIN_INVALID:
                if (d && fido_dev_get_retry_count(d, &retries) == FIDO_OK)
                        e->retries_left = retries;
                return agent_error_set(e, -EPERM, AGENT_ERROR_BAD_PIN, "Wrong PIN for the security key (%d tries left).", retries);
        case FIDO_ERR_PIN_BLOCKED:
                return agent_error_set(e, -EKEYREVOKED, AGENT_ERROR_PIN_LOCKED,
                                       "The security key's PIN is blocked; reset the key (its credentials are lost).");
        case FIDO_ERR_PIN_AUTH_BLOCKED:
                return agent_error_set(e, -EKEYREVOKED, AGENT_ERROR_PIN_LOCKED,
                                       "Too many wrong PINs in a row: remove and reinsert the security key, then try again.");
        case FIDO_ERR_OPERATION_DENIED:
        case FIDO_ERR_ACTION_TIMEOUT:
        case FIDO_ERR_UP_REQUIRED:
                return agent_error_set(e, -ETIME, AGENT_ERROR_PRESENCE_REFUSED,
                                       "The security key was not touched (or refused); touch it when it blinks.");
        case FIDO_ERR_NO_CREDENTIALS:
                return agent_error_set(e, -ENXIO, AGENT_ERROR_TOKEN_ABSENT, "The security key does not hold this credential.");
        default:
                return agent_error_set(e, -EIO, AGENT_ERROR_FAILED, "The security key failed: %s.", fido_strerr(f));
        }
}

/* An assertion with the salt: the hmac-secret output, 32 bytes. */
static int get_hmac_secret(fido_dev_t *d, const unsigned char *cred_id, size_t cred_id_len, const unsigned char *salt,
                           bool up, bool uv, const char *pin, unsigned char *out) {
        _cleanup_(assert_freep) fido_assert_t *a = fido_assert_new();
        unsigned char cdh[32];
        int f;

        if (!a || RAND_bytes(cdh, sizeof(cdh)) != 1)
                return FIDO_ERR_INTERNAL;
        if ((f = fido_assert_set_rp(a, FIDO2_RP_ID)) != FIDO_OK ||
            (f = fido_assert_set_clientdata_hash(a, cdh, sizeof(cdh))) != FIDO_OK ||
            (f = fido_assert_allow_cred(a, cred_id, cred_id_len)) != FIDO_OK ||
            (f = fido_assert_set_extensions(a, FIDO_EXT_HMAC_SECRET)) != FIDO_OK ||
            (f = fido_assert_set_hmac_salt(a, salt, FIDO2_SALT_LEN)) != FIDO_OK ||
            (f = fido_assert_set_up(a, up ? FIDO_OPT_TRUE : FIDO_OPT_FALSE)) != FIDO_OK ||
            (f = fido_assert_set_uv(a, uv ? FIDO_OPT_TRUE : FIDO_OPT_OMIT)) != FIDO_OK)
                return f;
        f = fido_dev_get_assert(d, a, pin);
        if (f != FIDO_OK)
                return f;
        if (fido_assert_count(a) != 1 || fido_assert_hmac_secret_len(a, 0) != HMAC_LEN)
                return FIDO_ERR_INVALID_CBOR;
        memcpy(out, fido_assert_hmac_secret_ptr(a, 0), HMAC_LEN);
        return FIDO_OK;
}

/* Is the credential on this device? An assertion without presence, PIN or
 * extension answers that without bothering the user. */
static bool has_credential(fido_dev_t *d, const unsigned char *cred_id, size_t cred_id_len) {
        _cleanup_(assert_freep) fido_assert_t *a = fido_assert_new();
        unsigned char cdh[32];

        return a && RAND_bytes(cdh, sizeof(cdh)) == 1 && fido_assert_set_rp(a, FIDO2_RP_ID) == FIDO_OK &&
               fido_assert_set_clientdata_hash(a, cdh, sizeof(cdh)) == FIDO_OK &&
               fido_assert_allow_cred(a, cred_id, cred_id_len) == FIDO_OK &&
               fido_assert_set_up(a, FIDO_OPT_FALSE) == FIDO_OK && fido_dev_get_assert(d, a, NULL) == FIDO_OK;
}

static int make_credential(fido_dev_t *d, const char *user_name, bool uv, const char *pin, fido_cred_t **ret) {
        _cleanup_(cred_freep) fido_cred_t *c = fido_cred_new();
        unsigned char cdh[32], user_id[32];
        int f;

        if (!c || RAND_bytes(cdh, sizeof(cdh)) != 1 || RAND_bytes(user_id, sizeof(user_id)) != 1)
                return FIDO_ERR_INTERNAL;
        if ((f = fido_cred_set_type(c, COSE_ES256)) != FIDO_OK ||
            (f = fido_cred_set_rp(c, FIDO2_RP_ID, FIDO2_RP_NAME)) != FIDO_OK ||
            (f = fido_cred_set_user(c, user_id, sizeof(user_id), user_name, user_name, NULL)) != FIDO_OK ||
            (f = fido_cred_set_clientdata_hash(c, cdh, sizeof(cdh))) != FIDO_OK ||
            (f = fido_cred_set_extensions(c, FIDO_EXT_HMAC_SECRET)) != FIDO_OK ||
            (f = fido_cred_set_rk(c, FIDO_OPT_FALSE)) != FIDO_OK ||
            (f = fido_cred_set_uv(c, uv ? FIDO_OPT_TRUE : FIDO_OPT_OMIT)) != FIDO_OK)
                return f;
        f = fido_dev_make_cred(d, c, pin);
        if (f != FIDO_OK)
                return f;
        if (fido_cred_id_len(c) == 0)
                return FIDO_ERR_INVALID_CBOR;
        *ret = c;
        c = NULL;
        return FIDO_OK;
}

static struct json_object *b64_field(const void *p, size_t n) {
        _cleanup_secret_ char *s = base64_encode_secret(p, n);

        return s ? json_object_new_string(s) : NULL;
}

static int write_token(const char *image_path, const struct fido2_token *t, const unsigned char *secret,
                       const void *vk, size_t vk_size, struct agent_error *e) {
        _cleanup_secret_ char *pass = base64_encode_secret(secret, HMAC_LEN);
        struct json_object *f = json_object_new_object();
        int r;

        if (!pass || !f) {
                json_object_put(f);
                return -ENOMEM;
        }
        json_object_object_add(f, "fido2-credential", b64_field(t->cred_id, t->cred_id_len));
        json_object_object_add(f, "fido2-salt", b64_field(t->salt, t->salt_len));
        json_object_object_add(f, "fido2-rp", json_object_new_string(FIDO2_RP_ID));
        json_object_object_add(f, "fido2-clientPin-required", json_object_new_boolean(t->client_pin));
        json_object_object_add(f, "fido2-up-required", json_object_new_boolean(t->up));
        json_object_object_add(f, "fido2-uv-required", json_object_new_boolean(t->uv));
        r = token_enroll(image_path, vk, vk_size, pass, NULL, "systemd-fido2", f, e);
        return r < 0 ? r : 0;
}

/* Does the device have a PIN set? */
static bool device_has_pin(fido_dev_t *d) {
        fido_cbor_info_t *info = fido_cbor_info_new();
        bool pin = false;

        if (info && fido_dev_get_cbor_info(d, info) == FIDO_OK) {
                char **names = fido_cbor_info_options_name_ptr(info);
                const bool *values = fido_cbor_info_options_value_ptr(info);

                for (size_t i = 0; i < fido_cbor_info_options_len(info); i++)
                        if (streq(names[i], "clientPin"))
                                pin = values[i];
        }
        fido_cbor_info_free(&info);
        return pin;
}

static int enroll_on(fido_dev_t *d, const char *image_path, const char *user_name, const struct fido2_options *o,
                     const void *vk, size_t vk_size, struct agent_error *e) {
        _cleanup_(cred_freep) fido_cred_t *c = NULL;
        _cleanup_secret_ unsigned char *secret = secret_alloc(HMAC_LEN);
        unsigned char salt[FIDO2_SALT_LEN];
        struct fido2_token t = { .up = o->with_up, .uv = o->with_uv };
        int f;

        if (!secret || RAND_bytes(salt, sizeof(salt)) != 1)
                return -ENOMEM;
        t.client_pin = o->with_client_pin && device_has_pin(d);
        if (t.client_pin && !o->pin) {
                e->token_type = "fido2";
                return agent_error_set(e, -ENOANO, AGENT_ERROR_PIN_NEEDED, "The security key needs its PIN.");
        }
        f = make_credential(d, user_name, o->with_uv, o->pin, &c);
        if (f == FIDO_OK)
                f = get_hmac_secret(d, fido_cred_id_ptr(c), fido_cred_id_len(c), salt, t.up, t.uv,
                                    t.client_pin ? o->pin : NULL, secret);
        if (f != FIDO_OK)
                return fido_error(f, d, e);
        t.cred_id = (unsigned char *) fido_cred_id_ptr(c);
        t.cred_id_len = fido_cred_id_len(c);
        t.salt = salt;
        t.salt_len = sizeof(salt);
        return write_token(image_path, &t, secret, vk, vk_size, e);
}

int token_fido2_enroll(const struct agent_config *config, const char *image_path, const char *user_name,
                       const struct fido2_options *o, const void *volume_key, size_t volume_key_size, struct agent_error *e) {
        char paths[FIDO2_PATHS_MAX][PATH_MAX];
        const char *path = o->device;
        fido_dev_t *d = NULL;
        int f, r;

        if (streq(path, "auto")) {
                if (fido2_dev_paths(config, paths, 1) == 0) {
                        e->token_type = "fido2";
                        return agent_error_set(e, -ENXIO, AGENT_ERROR_TOKEN_ABSENT, "No FIDO2 security key was found; plug one in.");
                }
                path = paths[0];
        }
        f = fido2_dev_open(path, &d);
        if (f != FIDO_OK) {
                e->token_type = "fido2";
                return agent_error_set(e, -ENXIO, AGENT_ERROR_TOKEN_ABSENT, "Cannot open the security key %s: %s.", path, fido_strerr(f));
        }
        r = enroll_on(d, image_path, user_name, o, volume_key, volume_key_size, e);
        fido2_dev_close(d);
        return r;
}


/* The device holding the token's credential, or NULL. */
static fido_dev_t *find_device(const struct agent_config *config, const struct fido2_token *t) {
        char paths[FIDO2_PATHS_MAX][PATH_MAX];
        size_t n = fido2_dev_paths(config, paths, FIDO2_PATHS_MAX);

        for (size_t i = 0; i < n; i++) {
                fido_dev_t *d = NULL;

                if (fido2_dev_open(paths[i], &d) != FIDO_OK)
                        continue;
                if (has_credential(d, t->cred_id, t->cred_id_len))
                        return d;
                fido2_dev_close(d);
        }
        return NULL;
}

int token_fido2_probe(const struct agent_config *config, struct json_object *token, struct fido2_probe *ret) {
        struct fido2_token t;
        fido_dev_t *d;
        int r = fido2_token_parse(token, &t);

        if (r >= 0) {
                d = find_device(config, &t);
                r = d ? 0 : -ENXIO;
                fido2_dev_close(d);
                ret->needs_pin = t.client_pin;
                ret->needs_presence = t.up;
        }
        fido2_token_clear(&t);
        return r;
}

int token_fido2_passphrase(const struct agent_config *config, struct json_object *token, const char *pin, char **ret,
                           struct agent_error *e) {
        _cleanup_secret_ unsigned char *secret = secret_alloc(HMAC_LEN);
        struct fido2_token t;
        fido_dev_t *d = NULL;
        int r, f;

        if (!secret)
                return -ENOMEM;
        r = fido2_token_parse(token, &t);
        if (r < 0) {
                fido2_token_clear(&t);
                return r == -EOPNOTSUPP ? -ENXIO : agent_error_set(e, r, AGENT_ERROR_FAILED, "A systemd-fido2 token in the image is malformed.");
        }
        d = find_device(config, &t);
        if (!d)
                r = -ENXIO;
        else if (t.client_pin && !pin) {
                e->token_type = "fido2";
                r = agent_error_set(e, -ENOANO, AGENT_ERROR_PIN_NEEDED, "The security key needs its PIN.");
        } else {
                f = get_hmac_secret(d, t.cred_id, t.cred_id_len, t.salt, t.up, t.uv, t.client_pin ? pin : NULL, secret);
                r = f == FIDO_OK ? 0 : fido_error(f, d, e);
        }
        fido2_dev_close(d);
        fido2_token_clear(&t);
        if (r < 0)
                return r;
        *ret = base64_encode_secret(secret, HMAC_LEN);
        return *ret ? 0 : -ENOMEM;
}
