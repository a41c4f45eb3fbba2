/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* authenticatorGetInfo, authenticatorMakeCredential and
 * authenticatorGetAssertion (CTAP 2.1, sections 6.1 to 6.4), with the
 * hmac-secret extension (section 12.5). */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "soft-fido2.h"

#define FLAG_UP 0x01
#define FLAG_UV 0x04
#define FLAG_AT 0x40
#define FLAG_ED 0x80

static const uint8_t aaguid[16] = "homefs-soft-fido";
int advertised_pin_protocols = 3; /* bit 0: protocol 1, bit 1: protocol 2 */

bool presence_granted(const struct authenticator *a) {
        return !a->deny_presence_path || access(a->deny_presence_path, F_OK) < 0;
}

int ctap_get_info(struct authenticator *a, cbor_item_t **resp) {
        cbor_item_t *versions = cbor_new_definite_array(2), *ext = cbor_new_definite_array(1),
                    *opts = cbor_new_definite_map(3), *protos = cbor_new_definite_array(2);

        cbor_array_push(versions, cbor_move(cbor_build_string("FIDO_2_0")));
        cbor_array_push(versions, cbor_move(cbor_build_string("FIDO_2_1")));
        cbor_array_push(ext, cbor_move(cbor_build_string("hmac-secret")));
        map_put(opts, cbor_build_string("rk"), cbor_build_bool(false));
        map_put(opts, cbor_build_string("up"), cbor_build_bool(true));
        map_put(opts, cbor_build_string("clientPin"), cbor_build_bool(a->pin_set));
        if (advertised_pin_protocols & 2)
                cbor_array_push(protos, cbor_move(cbor_build_uint8(2)));
        if (advertised_pin_protocols & 1)
                cbor_array_push(protos, cbor_move(cbor_build_uint8(1)));
        *resp = cbor_new_definite_map(6);
        map_put(*resp, cbor_build_uint8(1), versions);
        map_put(*resp, cbor_build_uint8(2), ext);
        map_put(*resp, cbor_build_uint8(3), cbor_build_bytestring(aaguid, sizeof(aaguid)));
        map_put(*resp, cbor_build_uint8(4), opts);
        map_put(*resp, cbor_build_uint8(5), cbor_build_uint16(1200));
        map_put(*resp, cbor_build_uint8(6), protos);
        return CTAP2_OK;
}

static bool option(const cbor_item_t *req, int key, const char *name, bool dflt) {
        cbor_item_t *v = map_get_str(map_get_int(req, key), name);

        return v && cbor_is_bool(v) ? cbor_get_bool(v) : dflt;
}

/* pinUvAuthParam over clientDataHash with the PIN token: user verified.
 * Without it, a device with a PIN refuses makeCredential (CTAP 2.0). */
static int check_pin_auth(struct authenticator *a, const cbor_item_t *req, int param_key, const uint8_t *cdh,
                          bool need_if_pin_set, bool *uv) {
        const uint8_t *auth;
        size_t n;
        int64_t proto = 1;

        *uv = false;
        if (!item_bytes(map_get_int(req, param_key), &auth, &n))
                return need_if_pin_set && a->pin_set ? CTAP2_ERR_PIN_REQUIRED : CTAP2_OK;
        if (!item_int(map_get_int(req, param_key + 1), &proto) || (proto != 1 && proto != 2))
                return CTAP2_ERR_MISSING_PARAMETER;
        if (!a->pin_set)
                return CTAP2_ERR_PIN_NOT_SET;
        if (!a->pin_token_valid || !pin_verify((int) proto, a->pin_token, sizeof(a->pin_token), cdh, 32, auth, n))
                return CTAP2_ERR_PIN_AUTH_INVALID;
        *uv = true;
        return CTAP2_OK;
}

static bool es256_allowed(const cbor_item_t *params) {
        if (!params || !cbor_isa_array(params))
                return false;
        for (size_t i = 0; i < cbor_array_size(params); i++) {
                int64_t alg;

                if (item_int(map_get_str(cbor_array_handle(params)[i], "alg"), &alg) && alg == -7)
                        return true;
        }
        return false;
}

static void put_be(uint8_t *p, uint64_t v, int n) {
        for (int i = n - 1; i >= 0; i--, v >>= 8)
                p[i] = (uint8_t) v;
}

/* authData: rpIdHash, flags, signCount, [attested credential], [extensions]. */
static size_t auth_data(uint8_t *out, const uint8_t *rp_hash, uint8_t flags, uint32_t count,
                        const struct credential *attested, const cbor_item_t *ext) {
        size_t n = 0;

        memcpy(out, rp_hash, 32);
        out[32] = flags;
        put_be(out + 33, count, 4);
        n = 37;
        if (attested) {
                cbor_item_t *cose = cose_p256_key(attested->key, -7);

                memcpy(out + n, aaguid, 16);
                put_be(out + n + 16, CRED_ID_LEN, 2);
                memcpy(out + n + 18, attested->id, CRED_ID_LEN);
                n += 18 + CRED_ID_LEN;
                n += cbor_serialize(cose, out + n, 512);
                cbor_decref(&cose);
        }
        if (ext)
                n += cbor_serialize(ext, out + n, 512);
        return n;
}

static int new_credential(struct authenticator *a, const uint8_t *rp_hash, struct credential **ret) {
        struct credential *c, *all = realloc(a->creds, (a->n_creds + 1) * sizeof(*all));

        if (!all)
                return CTAP1_ERR_OTHER;
        a->creds = all;
        c = &all[a->n_creds];
        memcpy(c->rp_id_hash, rp_hash, 32);
        c->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        if (!c->key || RAND_bytes(c->id, CRED_ID_LEN) != 1 || RAND_bytes(c->cred_random_uv, 32) != 1 ||
            RAND_bytes(c->cred_random_no_uv, 32) != 1)
                return CTAP1_ERR_OTHER;
        a->n_creds++;
        *ret = c;
        return state_save(a) < 0 ? CTAP1_ERR_OTHER : CTAP2_OK;
}

int ctap_make_credential(struct authenticator *a, const cbor_item_t *req, cbor_item_t **resp) {
        const uint8_t *cdh, *rp_id;
        size_t cdh_n, n;
        cbor_item_t *rp = map_get_int(req, 2), *ext = NULL;
        struct credential *c;
        uint8_t rp_hash[32], ad[1024];
        bool uv, hmac = option(req, 6, "hmac-secret", false);
        int r;

        *resp = NULL;
        if (!item_bytes(map_get_int(req, 1), &cdh, &cdh_n) || cdh_n != 32 || !map_get_str(rp, "id") ||
            !cbor_isa_string(map_get_str(rp, "id")) || !map_get_int(req, 3))
                return CTAP2_ERR_MISSING_PARAMETER;
        if (!es256_allowed(map_get_int(req, 4)))
                return CTAP2_ERR_UNSUPPORTED_ALGORITHM;
        if (option(req, 7, "rk", false))
                return CTAP2_ERR_UNSUPPORTED_OPTION;
        if (option(req, 7, "uv", false))
                return CTAP2_ERR_INVALID_OPTION; /* no built-in UV: the PIN is it */
        r = check_pin_auth(a, req, 8, cdh, true, &uv);
        if (r != CTAP2_OK)
                return r;
        if (!presence_granted(a))
                return CTAP2_ERR_OPERATION_DENIED;
        rp_id = cbor_string_handle(map_get_str(rp, "id"));
        SHA256(rp_id, cbor_string_length(map_get_str(rp, "id")), rp_hash);
        r = new_credential(a, rp_hash, &c);
        if (r != CTAP2_OK)
                return r;
        if (hmac) {
                ext = cbor_new_definite_map(1);
                map_put(ext, cbor_build_string("hmac-secret"), cbor_build_bool(true));
        }
        n = auth_data(ad, rp_hash, FLAG_UP | (uv ? FLAG_UV : 0) | FLAG_AT | (ext ? FLAG_ED : 0), a->sign_count, c, ext);
        if (ext)
                cbor_decref(&ext);
        *resp = cbor_new_definite_map(3);
        map_put(*resp, cbor_build_uint8(1), cbor_build_string("none"));
        map_put(*resp, cbor_build_uint8(2), cbor_build_bytestring(ad, n));
        map_put(*resp, cbor_build_uint8(3), cbor_new_definite_map(0));
        return CTAP2_OK;
}

static struct credential *find_credential(struct authenticator *a, const uint8_t *rp_hash, const cbor_item_t *allow) {
        if (!allow || !cbor_isa_array(allow))
                return NULL; /* no resident keys here */
        for (size_t i = 0; i < cbor_array_size(allow); i++) {
                const uint8_t *id;
                size_t n;

                if (!item_bytes(map_get_str(cbor_array_handle(allow)[i], "id"), &id, &n) || n != CRED_ID_LEN)
                        continue;
                for (size_t j = 0; j < a->n_creds; j++)
                        if (memcmp(a->creds[j].id, id, n) == 0 && memcmp(a->creds[j].rp_id_hash, rp_hash, 32) == 0)
                                return &a->creds[j];
        }
        return NULL;
}

/* hmac-secret: {1: keyAgreement, 2: saltEnc, 3: saltAuth, 4: protocol}.
 * The output is HMAC-SHA-256(CredRandom, salt) for one or two salts,
 * encrypted with the shared secret; CredRandom differs with and without UV. */
static int hmac_secret(struct authenticator *a, const struct credential *c, bool uv, const cbor_item_t *in,
                       cbor_item_t **ret) {
        const uint8_t *salt_enc, *salt_auth;
        uint8_t shared[64], salts[80], out[64], enc[80];
        size_t enc_n, auth_n, sn, salts_n, en;
        int64_t proto = 1;
        unsigned l;

        if (!map_get_int(in, 1) || !item_bytes(map_get_int(in, 2), &salt_enc, &enc_n) ||
            !item_bytes(map_get_int(in, 3), &salt_auth, &auth_n))
                return CTAP2_ERR_MISSING_PARAMETER;
        if (map_get_int(in, 4) && (!item_int(map_get_int(in, 4), &proto) || (proto != 1 && proto != 2)))
                return CTAP2_ERR_INVALID_OPTION;
        if (enc_n > sizeof(salts) || pin_shared_secret(a, (int) proto, map_get_int(in, 1), shared, &sn) < 0)
                return CTAP2_ERR_INVALID_CBOR;
        if (!pin_verify((int) proto, shared, 32, salt_enc, enc_n, salt_auth, auth_n))
                return CTAP2_ERR_PIN_AUTH_INVALID; /* the salt-auth check */
        if (pin_decrypt((int) proto, shared, salt_enc, enc_n, salts, &salts_n) < 0 || (salts_n != 32 && salts_n != 64))
                return CTAP1_ERR_INVALID_LENGTH;
        for (size_t i = 0; i < salts_n; i += 32)
                HMAC(EVP_sha256(), uv ? c->cred_random_uv : c->cred_random_no_uv, 32, salts + i, 32, out + i, &l);
        if (pin_encrypt((int) proto, shared, out, salts_n, enc, &en) < 0)
                return CTAP1_ERR_OTHER;
        OPENSSL_cleanse(out, sizeof(out));
        *ret = cbor_new_definite_map(1);
        map_put(*ret, cbor_build_string("hmac-secret"), cbor_build_bytestring(enc, en));
        return CTAP2_OK;
}

static int sign(EVP_PKEY *key, const uint8_t *ad, size_t n, const uint8_t *cdh, uint8_t *sig, size_t *sig_n) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        int ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
                 EVP_DigestSignUpdate(ctx, ad, n) == 1 && EVP_DigestSignUpdate(ctx, cdh, 32) == 1 &&
                 EVP_DigestSignFinal(ctx, sig, sig_n) == 1;

        EVP_MD_CTX_free(ctx);
        return ok ? 0 : -1;
}

int ctap_get_assertion(struct authenticator *a, const cbor_item_t *req, cbor_item_t **resp) {
        const uint8_t *cdh;
        cbor_item_t *rp = map_get_int(req, 1), *ext_in, *ext = NULL, *desc;
        struct credential *c;
        uint8_t rp_hash[32], ad[1024], sig[128];
        size_t cdh_n, n, sig_n = sizeof(sig);
        bool uv, up = option(req, 5, "up", true);
        int r;

        *resp = NULL;
        if (!rp || !cbor_isa_string(rp) || !item_bytes(map_get_int(req, 2), &cdh, &cdh_n) || cdh_n != 32)
                return CTAP2_ERR_MISSING_PARAMETER;
        if (option(req, 5, "uv", false))
                return CTAP2_ERR_INVALID_OPTION;
        if (option(req, 5, "rk", false))
                return CTAP2_ERR_UNSUPPORTED_OPTION;
        SHA256(cbor_string_handle(rp), cbor_string_length(rp), rp_hash);
        c = find_credential(a, rp_hash, map_get_int(req, 3));
        if (!c)
                return CTAP2_ERR_NO_CREDENTIALS;
        r = check_pin_auth(a, req, 6, cdh, false, &uv);
        if (r != CTAP2_OK)
                return r;
        if (up && !presence_granted(a))
                return CTAP2_ERR_OPERATION_DENIED;
        ext_in = map_get_str(map_get_int(req, 4), "hmac-secret");
        if (ext_in && (r = hmac_secret(a, c, uv, ext_in, &ext)) != CTAP2_OK)
                return r;
        a->sign_count++;
        state_save(a);
        n = auth_data(ad, rp_hash, (up ? FLAG_UP : 0) | (uv ? FLAG_UV : 0) | (ext ? FLAG_ED : 0), a->sign_count, NULL, ext);
        if (ext)
                cbor_decref(&ext);
        if (sign(c->key, ad, n, cdh, sig, &sig_n) < 0)
                return CTAP1_ERR_OTHER;
        desc = cbor_new_definite_map(2);
        map_put(desc, cbor_build_string("id"), cbor_build_bytestring(c->id, CRED_ID_LEN));
        map_put(desc, cbor_build_string("type"), cbor_build_string("public-key"));
        *resp = cbor_new_definite_map(3);
        map_put(*resp, cbor_build_uint8(1), desc);
        map_put(*resp, cbor_build_uint8(2), cbor_build_bytestring(ad, n));
        map_put(*resp, cbor_build_uint8(3), cbor_build_bytestring(sig, sig_n));
        return CTAP2_OK;
}
