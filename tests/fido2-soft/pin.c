/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PIN/UV auth protocols 1 and 2 (CTAP 2.1, section 6.5) and the clientPIN
 * command (section 6.5.5). */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <string.h>

#include "soft-fido2.h"

void key_agreement_regenerate(struct authenticator *a) {
        EVP_PKEY_free(a->key_agreement);
        a->key_agreement = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static int hkdf_sha256(const uint8_t *ikm, size_t n, const char *info, uint8_t out[32]) {
        static const uint8_t salt[32];
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
        size_t len = 32;
        int ok = ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) > 0 &&
                 EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt, sizeof(salt)) > 0 && EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm, (int) n) > 0 &&
                 EVP_PKEY_CTX_add1_hkdf_info(ctx, (const uint8_t *) info, (int) strlen(info)) > 0 &&
                 EVP_PKEY_derive(ctx, out, &len) > 0 && len == 32;

        EVP_PKEY_CTX_free(ctx);
        return ok ? 0 : -1;
}

/* ECDH with the platform's key, then the protocol's KDF: protocol 1,
 * SHA-256(Z) (32 bytes); protocol 2, HMAC key || AES key from HKDF (64). */
int pin_shared_secret(struct authenticator *a, int proto, const cbor_item_t *platform_key, uint8_t *out, size_t *out_len) {
        EVP_PKEY *peer = cose_p256_parse(platform_key);
        EVP_PKEY_CTX *ctx = NULL;
        uint8_t z[32];
        size_t zn = sizeof(z);
        int r = -1;

        if (!peer)
                return -1;
        ctx = EVP_PKEY_CTX_new(a->key_agreement, NULL);
        if (!ctx || EVP_PKEY_derive_init(ctx) <= 0 || EVP_PKEY_derive_set_peer(ctx, peer) <= 0 ||
            EVP_PKEY_derive(ctx, z, &zn) <= 0 || zn != 32)
                goto out;
        if (proto == 1) {
                SHA256(z, 32, out);
                *out_len = 32;
                r = 0;
        } else if (proto == 2 && hkdf_sha256(z, 32, "CTAP2 HMAC key", out) == 0 &&
                   hkdf_sha256(z, 32, "CTAP2 AES key", out + 32) == 0) {
                *out_len = 64;
                r = 0;
        }
out:
        OPENSSL_cleanse(z, sizeof(z));
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(peer);
        return r;
}

static int aes_cbc(bool enc, const uint8_t *key, const uint8_t *iv, const uint8_t *in, size_t n, uint8_t *out) {
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        int l1 = 0, l2 = 0, ok;

        ok = ctx && n % 16 == 0 && EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv, enc) == 1 &&
             EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 && EVP_CipherUpdate(ctx, out, &l1, in, (int) n) == 1 &&
             EVP_CipherFinal_ex(ctx, out + l1, &l2) == 1 && (size_t) (l1 + l2) == n;
        EVP_CIPHER_CTX_free(ctx);
        return ok ? 0 : -1;
}

int pin_encrypt(int proto, const uint8_t *shared, const uint8_t *in, size_t n, uint8_t *out, size_t *out_len) {
        static const uint8_t zero_iv[16];

        if (proto == 1) {
                *out_len = n;
                return aes_cbc(true, shared, zero_iv, in, n, out);
        }
        if (RAND_bytes(out, 16) != 1)
                return -1;
        *out_len = n + 16;
        return aes_cbc(true, shared + 32, out, in, n, out + 16);
}

int pin_decrypt(int proto, const uint8_t *shared, const uint8_t *in, size_t n, uint8_t *out, size_t *out_len) {
        static const uint8_t zero_iv[16];

        if (proto == 1) {
                *out_len = n;
                return aes_cbc(false, shared, zero_iv, in, n, out);
        }
        if (n < 16)
                return -1;
        *out_len = n - 16;
        return aes_cbc(false, shared + 32, in, in + 16, n - 16, out);
}

/* authenticate(key, message): protocol 1 keeps the first 16 bytes of the
 * HMAC, protocol 2 all 32. For the shared secret, the key is its first 32
 * bytes in both protocols. */
bool pin_verify(int proto, const uint8_t *key, size_t key_len, const uint8_t *msg, size_t n,
                const uint8_t *sig, size_t sig_len) {
        uint8_t mac[32];
        unsigned mac_len = 0;
        size_t want = proto == 1 ? 16 : 32;

        if (!HMAC(EVP_sha256(), key, (int) key_len, msg, n, mac, &mac_len) || mac_len != 32 || sig_len != want)
                return false;
        return CRYPTO_memcmp(mac, sig, want) == 0;
}

static int get_proto(const cbor_item_t *req, int *proto) {
        int64_t v;

        if (!item_int(map_get_int(req, 1), &v))
                return CTAP2_ERR_MISSING_PARAMETER;
        if (v != 1 && v != 2)
                return CTAP2_ERR_INVALID_OPTION;
        *proto = (int) v;
        return CTAP2_OK;
}

/* A wrong PIN: count it, new key agreement, and the error to return. */
static int pin_mismatch(struct authenticator *a) {
        key_agreement_regenerate(a);
        a->pin_failures_in_row++;
        state_save(a);
        if (a->pin_retries == 0)
                return CTAP2_ERR_PIN_BLOCKED;
        if (a->pin_failures_in_row >= 3)
                return CTAP2_ERR_PIN_AUTH_BLOCKED;
        return CTAP2_ERR_PIN_INVALID;
}

/* Check pinHashEnc against the stored hash (retries counted first). */
static int check_pin_hash(struct authenticator *a, int proto, const uint8_t *shared, const cbor_item_t *req) {
        const uint8_t *enc;
        uint8_t hash[64];
        size_t n, hn;

        if (!a->pin_set)
                return CTAP2_ERR_PIN_NOT_SET;
        if (a->pin_retries <= 0)
                return CTAP2_ERR_PIN_BLOCKED;
        if (a->pin_failures_in_row >= 3)
                return CTAP2_ERR_PIN_AUTH_BLOCKED;
        if (!item_bytes(map_get_int(req, 6), &enc, &n) || n > sizeof(hash))
                return CTAP2_ERR_MISSING_PARAMETER;
        a->pin_retries--;
        state_save(a);
        if (pin_decrypt(proto, shared, enc, n, hash, &hn) < 0 || hn != 16 || CRYPTO_memcmp(hash, a->pin_hash, 16) != 0)
                return pin_mismatch(a);
        a->pin_retries = PIN_RETRIES_MAX;
        a->pin_failures_in_row = 0;
        state_save(a);
        return CTAP2_OK;
}

/* newPinEnc: 64 bytes of PIN padded with zeros; 4 to 63 bytes of PIN. */
static int set_new_pin(struct authenticator *a, int proto, const uint8_t *shared, const uint8_t *enc, size_t n) {
        uint8_t padded[80];
        size_t pn, len;

        if (n > sizeof(padded) || pin_decrypt(proto, shared, enc, n, padded, &pn) < 0 || pn != 64)
                return CTAP2_ERR_PIN_POLICY_VIOLATION;
        len = strnlen((const char *) padded, 64);
        if (len < 4 || len > 63)
                return CTAP2_ERR_PIN_POLICY_VIOLATION;
        SHA256(padded, len, padded);
        memcpy(a->pin_hash, padded, 16);
        OPENSSL_cleanse(padded, sizeof(padded));
        a->pin_set = true;
        a->pin_retries = PIN_RETRIES_MAX;
        a->pin_failures_in_row = 0;
        return state_save(a) < 0 ? CTAP1_ERR_OTHER : CTAP2_OK;
}

static int client_pin_change(struct authenticator *a, int sub, int proto, const cbor_item_t *req, cbor_item_t **resp) {
        const uint8_t *new_enc = NULL, *auth, *hash_enc = NULL;
        size_t new_n = 0, auth_n, hash_n = 0, sn;
        uint8_t shared[64], msg[256];
        int r;

        if (!map_get_int(req, 3) || !item_bytes(map_get_int(req, 4), &auth, &auth_n) ||
            !item_bytes(map_get_int(req, 5), &new_enc, &new_n) || (sub == 4 && !item_bytes(map_get_int(req, 6), &hash_enc, &hash_n)))
                return CTAP2_ERR_MISSING_PARAMETER;
        if (sub == 3 && a->pin_set)
                return CTAP2_ERR_PIN_AUTH_INVALID;
        if (new_n + hash_n > sizeof(msg) || pin_shared_secret(a, proto, map_get_int(req, 3), shared, &sn) < 0)
                return CTAP1_ERR_INVALID_LENGTH;
        memcpy(msg, new_enc, new_n);
        if (hash_enc)
                memcpy(msg + new_n, hash_enc, hash_n);
        if (sub == 4 && a->pin_retries <= 0)
                return CTAP2_ERR_PIN_BLOCKED;
        if (!pin_verify(proto, shared, 32, msg, new_n + hash_n, auth, auth_n))
                return CTAP2_ERR_PIN_AUTH_INVALID;
        if (sub == 4 && (r = check_pin_hash(a, proto, shared, req)) != CTAP2_OK)
                return r;
        *resp = NULL;
        return set_new_pin(a, proto, shared, new_enc, new_n);
}

static int client_pin_token(struct authenticator *a, int proto, const cbor_item_t *req, cbor_item_t **resp) {
        uint8_t shared[64], enc[48];
        size_t sn, en;
        int r;

        if (!map_get_int(req, 3) || !map_get_int(req, 6))
                return CTAP2_ERR_MISSING_PARAMETER;
        if (pin_shared_secret(a, proto, map_get_int(req, 3), shared, &sn) < 0)
                return CTAP2_ERR_INVALID_CBOR;
        r = check_pin_hash(a, proto, shared, req);
        if (r != CTAP2_OK)
                return r;
        if (RAND_bytes(a->pin_token, sizeof(a->pin_token)) != 1 ||
            pin_encrypt(proto, shared, a->pin_token, sizeof(a->pin_token), enc, &en) < 0)
                return CTAP1_ERR_OTHER;
        a->pin_token_valid = true;
        *resp = cbor_new_definite_map(1);
        map_put(*resp, cbor_build_uint8(2), cbor_build_bytestring(enc, en));
        return CTAP2_OK;
}

int ctap_client_pin(struct authenticator *a, const cbor_item_t *req, cbor_item_t **resp) {
        int64_t sub;
        int proto = 1, r;

        *resp = NULL;
        if (!item_int(map_get_int(req, 2), &sub))
                return CTAP2_ERR_MISSING_PARAMETER;
        if (sub != 1 && (r = get_proto(req, &proto)) != CTAP2_OK)
                return r;
        switch (sub) {
        case 1: /* getPINRetries */
                *resp = cbor_new_definite_map(1);
                map_put(*resp, cbor_build_uint8(3), cbor_build_uint8((uint8_t) a->pin_retries));
                return CTAP2_OK;
        case 2: /* getKeyAgreement */
                *resp = cbor_new_definite_map(1);
                map_put(*resp, cbor_build_uint8(1), cose_p256_key(a->key_agreement, -25));
                return CTAP2_OK;
        case 3: /* setPIN */
        case 4: /* changePIN */
                return client_pin_change(a, (int) sub, proto, req, resp);
        case 5: /* getPinToken */
                return client_pin_token(a, proto, req, resp);
        default:
                return CTAP2_ERR_INVALID_OPTION;
        }
}
