/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "log.h"
#include "luks-token.h"
#include "pkcs11.h"
#include "secret.h"
#include "token-parse.h"
#include "token.h"

/* The random secret for RSA is half the modulus, leaving room for the
 * PKCS#1 v1.5 padding (as systemd does); EC secrets are the ECDH X
 * coordinate. 512 bytes covers RSA 8192 and any EC curve. */
#define SECRET_MAX 512U

static void evp_pkey_freep(EVP_PKEY **p) {
        EVP_PKEY_free(*p);
}
static void evp_pkey_ctx_freep(EVP_PKEY_CTX **p) {
        EVP_PKEY_CTX_free(*p);
}

/* The errors of reaching the token, typed for the caller. */
static int token_error(int r, const char *uri, struct agent_error *e) {
        e->token_type = "pkcs11";
        switch (r) {
        case -EINVAL:
                return agent_error_set(e, r, AGENT_ERROR_INVALID_PARAMETER, "'%s' is not a valid PKCS#11 URI.", uri);
        case -ENXIO:
                return agent_error_set(e, r, AGENT_ERROR_TOKEN_ABSENT,
                                       "The security token %s is not present; insert it and try again.", uri);
        case -ENOKEY:
                return agent_error_set(e, r, AGENT_ERROR_TOKEN_ABSENT, "The token has no key matching %s.", uri);
        case -ENOPKG:
                return agent_error_set(e, r, AGENT_ERROR_FAILED,
                                       "The PKCS#11 module of %s is not one the administrator configured "
                                       "(homefs-agent --pkcs11-module) or does not load; see the agent's log.", uri);
        default:
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "The PKCS#11 token %s failed: %s.", uri, strerror(-r));
        }
}

/* RSA: encrypt a fresh random secret to the public key. */
static int rsa_make_secret(EVP_PKEY *pub, unsigned char *secret, size_t *secret_size,
                           unsigned char **ret_blob, size_t *ret_blob_size) {
        _cleanup_(evp_pkey_ctx_freep) EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
        size_t n = (size_t) EVP_PKEY_get_size(pub) / 2, out = 0;
        unsigned char *blob;

        if (EVP_PKEY_get_bits(pub) < 2048)
                return -EOPNOTSUPP;
        if (n > SECRET_MAX)
                n = SECRET_MAX;
        if (!ctx || RAND_bytes(secret, (int) n) != 1 || EVP_PKEY_encrypt_init(ctx) <= 0 ||
            EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 || EVP_PKEY_encrypt(ctx, NULL, &out, secret, n) <= 0)
                return -EIO;
        blob = malloc(out);
        if (!blob)
                return -ENOMEM;
        if (EVP_PKEY_encrypt(ctx, blob, &out, secret, n) <= 0) {
                free(blob);
                return -EIO;
        }
        *secret_size = n;
        *ret_blob = blob;
        *ret_blob_size = out;
        return 0;
}

static int ecdh(EVP_PKEY *priv, EVP_PKEY *peer, unsigned char *secret, size_t *secret_size) {
        _cleanup_(evp_pkey_ctx_freep) EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(priv, NULL);
        size_t n = 0;

        if (!ctx || EVP_PKEY_derive_init(ctx) <= 0 || EVP_PKEY_derive_set_peer(ctx, peer) <= 0 ||
            EVP_PKEY_derive(ctx, NULL, &n) <= 0 || n > SECRET_MAX || EVP_PKEY_derive(ctx, secret, &n) <= 0)
                return -EIO;
        *secret_size = n;
        return 0;
}

/* EC: an ephemeral key pair on the token key's curve; the secret is the
 * shared X coordinate, the blob the ephemeral public point (uncompressed),
 * from which the token derives the same secret at unlock. */
static int ec_make_secret(EVP_PKEY *pub, unsigned char *secret, size_t *secret_size,
                          unsigned char **ret_blob, size_t *ret_blob_size) {
        _cleanup_(evp_pkey_freep) EVP_PKEY *eph = NULL;
        char group[64];
        size_t n;
        int r;

        if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) <= 0)
                return -EOPNOTSUPP;
        eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
        if (!eph)
                return -EIO;
        r = ecdh(eph, pub, secret, secret_size);
        if (r < 0)
                return r;
        n = EVP_PKEY_get1_encoded_public_key(eph, ret_blob);
        if (n == 0)
                return -EIO;
        *ret_blob_size = n;
        return 0;
}

static int write_token(const char *image_path, const char *uri, const unsigned char *secret, size_t secret_size,
                       const unsigned char *blob, size_t blob_size, const void *vk, size_t vk_size,
                       struct agent_error *e) {
        _cleanup_secret_ char *pass = base64_encode_secret(secret, secret_size);
        _cleanup_secret_ char *key = base64_encode_secret(blob, blob_size); /* not secret; sized alike */
        struct json_object *f = json_object_new_object();
        int r;

        if (!pass || !key || !f) {
                json_object_put(f);
                return -ENOMEM;
        }
        json_object_object_add(f, "pkcs11-uri", json_object_new_string(uri));
        json_object_object_add(f, "pkcs11-key", json_object_new_string(key));
        r = token_enroll(image_path, vk, vk_size, pass, NULL, "systemd-pkcs11", f, e);
        return r < 0 ? r : 0;
}

static int login_error(int r, struct pkcs11_handle *h, struct agent_error *e) {
        e->token_type = "pkcs11";
        if (r == -EPERM) {
                e->final_try = h->slot->token->userPinFinalTry;
                return agent_error_set(e, r, AGENT_ERROR_BAD_PIN, "Wrong PIN for the security token%s.",
                                       e->final_try ? "; one try is left before it locks" :
                                       h->slot->token->userPinCountLow ? "; few tries are left" : "");
        }
        if (r == -EKEYREVOKED)
                return agent_error_set(e, r, AGENT_ERROR_PIN_LOCKED,
                                       "The security token's PIN is locked; unblock it with its PUK or SO PIN.");
        return agent_error_set(e, r, AGENT_ERROR_FAILED, "Logging in to the security token failed: %s.", strerror(-r));
}

/* The token's public key; logs in first if a PIN was given. */
static int enroll_public_key(struct pkcs11_handle *h, const char *uri, const char *pin, EVP_PKEY **ret,
                             struct agent_error *e) {
        int r;

        if (pin) {
                r = pkcs11_login(h, pin);
                if (r < 0)
                        return login_error(r, h, e);
        }
        r = pkcs11_public_key(h, ret);
        if (r == -ENOKEY && !pin) {
                e->token_type = "pkcs11";
                return agent_error_set(e, -ENOKEY, AGENT_ERROR_PIN_NEEDED,
                                       "The token shows its keys only after login: a PIN is needed.");
        }
        return r < 0 ? token_error(r, uri, e) : 0;
}

static int enroll_uri(const char *image_path, const char *uri, const char *pin,
                      const void *volume_key, size_t volume_key_size, struct agent_error *e) {
        _cleanup_secret_ unsigned char *secret = secret_alloc(SECRET_MAX);
        _cleanup_(evp_pkey_freep) EVP_PKEY *pub = NULL;
        _cleanup_free_ unsigned char *blob = NULL;
        struct pkcs11_handle h;
        size_t secret_size = 0, blob_size = 0;
        int r;

        if (!secret)
                return -ENOMEM;
        r = pkcs11_open(&h, uri);
        if (r >= 0)
                r = enroll_public_key(&h, uri, pin, &pub, e);
        else
                r = token_error(r, uri, e);
        pkcs11_close(&h);
        if (r < 0)
                return r;
        if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA)
                r = rsa_make_secret(pub, secret, &secret_size, &blob, &blob_size);
        else if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC)
                r = ec_make_secret(pub, secret, &secret_size, &blob, &blob_size);
        else
                r = -EOPNOTSUPP;
        if (r == -EOPNOTSUPP)
                return agent_error_set(e, r, AGENT_ERROR_INVALID_PARAMETER,
                                       "The key %s is neither RSA (2048 bits or more) nor EC; use another key.", uri);
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Making the token's secret failed: %s.", strerror(-r));
        return write_token(image_path, uri, secret, secret_size, blob, blob_size, volume_key, volume_key_size, e);
}

/* "auto": the one key p11-kit's tokens offer; its URI in *ret (free()). */
static int auto_uri(char **ret, struct agent_error *e) {
        struct json_object *keys = NULL;
        size_t n;
        int r = pkcs11_list_keys(&keys);

        e->token_type = "pkcs11";
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Listing the PKCS#11 tokens failed: %s.", strerror(-r));
        n = json_object_array_length(keys);
        if (n == 1)
                *ret = strdup(json_object_get_string(json_object_object_get(json_object_array_get_idx(keys, 0), "uri")));
        json_object_put(keys);
        if (n == 0)
                return agent_error_set(e, -ENXIO, AGENT_ERROR_TOKEN_ABSENT, "No PKCS#11 token with a key is present; insert one.");
        if (n > 1)
                return agent_error_set(e, -EINVAL, AGENT_ERROR_INVALID_PARAMETER,
                                       "Several PKCS#11 keys are present; pick one from --pkcs11-token-uri=list.");
        return *ret ? 0 : -ENOMEM;
}

int token_pkcs11_enroll(const char *image_path, const char *uri, const char *pin,
                        const void *volume_key, size_t volume_key_size, struct agent_error *e) {
        _cleanup_free_ char *found = NULL;
        int r;

        if (streq(uri, "auto")) {
                r = auto_uri(&found, e);
                if (r < 0)
                        return r;
                *e = (struct agent_error) {};
                uri = found;
        }
        return enroll_uri(image_path, uri, pin, volume_key, volume_key_size, e);
}


static int decrypt_secret(EVP_PKEY *priv, const void *blob, size_t blob_size, unsigned char *secret, size_t *secret_size) {
        if (EVP_PKEY_get_base_id(priv) == EVP_PKEY_RSA) {
                _cleanup_(evp_pkey_ctx_freep) EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(priv, NULL);
                size_t n = SECRET_MAX;

                if (!ctx || EVP_PKEY_decrypt_init(ctx) <= 0 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
                    EVP_PKEY_decrypt(ctx, secret, &n, blob, blob_size) <= 0)
                        return -EIO;
                *secret_size = n;
                return 0;
        }
        if (EVP_PKEY_get_base_id(priv) == EVP_PKEY_EC) {
                _cleanup_(evp_pkey_freep) EVP_PKEY *peer = EVP_PKEY_new();

                if (!peer || EVP_PKEY_copy_parameters(peer, priv) <= 0 ||
                    EVP_PKEY_set1_encoded_public_key(peer, blob, blob_size) <= 0)
                        return -EBADMSG;
                return ecdh(priv, peer, secret, secret_size);
        }
        return -EOPNOTSUPP;
}

int token_pkcs11_passphrase(struct json_object *token, const char *pin, char **ret, struct agent_error *e) {
        _cleanup_secret_ unsigned char *secret = secret_alloc(SECRET_MAX);
        _cleanup_free_ void *blob = NULL;
        EVP_PKEY *priv = NULL;
        struct pkcs11_handle h;
        size_t blob_size = 0, secret_size = 0;
        const char *uri;
        int r;

        if (!secret)
                return -ENOMEM;
        if (pkcs11_token_parse(token, &uri, &blob, &blob_size) < 0)
                return agent_error_set(e, -EBADMSG, AGENT_ERROR_FAILED, "A systemd-pkcs11 token in the image is malformed.");
        r = pkcs11_open(&h, uri);
        if (r < 0)
                r = token_error(r, uri, e);
        else if ((r = pkcs11_login(&h, pin)) < 0)
                r = login_error(r, &h, e);
        else if ((r = pkcs11_private_key(&h, &priv)) < 0)
                r = token_error(r, uri, e);
        else if ((r = decrypt_secret(priv, blob, blob_size, secret, &secret_size)) < 0)
                r = agent_error_set(e, r, AGENT_ERROR_FAILED, "The security token could not decrypt the key: %s.", strerror(-r));
        EVP_PKEY_free(priv);
        pkcs11_close(&h);
        if (r < 0)
                return r;
        *ret = base64_encode_secret(secret, secret_size);
        return *ret ? 0 : -ENOMEM;
}

bool token_pkcs11_present(struct json_object *token) {
        _cleanup_free_ void *blob = NULL;
        struct pkcs11_handle h;
        size_t blob_size;
        const char *uri;
        int r;

        if (pkcs11_token_parse(token, &uri, &blob, &blob_size) < 0)
                return false;
        r = pkcs11_open(&h, uri);
        pkcs11_close(&h);
        return r >= 0;
}
