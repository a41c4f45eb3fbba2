/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <string.h>

#include "soft-fido2.h"

bool item_int(const cbor_item_t *it, int64_t *v) {
        if (!it)
                return false;
        if (cbor_isa_uint(it)) {
                *v = (int64_t) cbor_get_int(it);
                return true;
        }
        if (cbor_isa_negint(it)) {
                *v = -1 - (int64_t) cbor_get_int(it);
                return true;
        }
        return false;
}

bool item_bytes(const cbor_item_t *it, const uint8_t **p, size_t *n) {
        if (!it || !cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it))
                return false;
        *p = cbor_bytestring_handle(it);
        *n = cbor_bytestring_length(it);
        return true;
}

cbor_item_t *map_get_int(const cbor_item_t *map, int key) {
        struct cbor_pair *pairs;
        int64_t k;

        if (!map || !cbor_isa_map(map))
                return NULL;
        pairs = cbor_map_handle(map);
        for (size_t i = 0; i < cbor_map_size(map); i++)
                if (item_int(pairs[i].key, &k) && k == key)
                        return pairs[i].value;
        return NULL;
}

cbor_item_t *map_get_str(const cbor_item_t *map, const char *key) {
        struct cbor_pair *pairs;

        if (!map || !cbor_isa_map(map))
                return NULL;
        pairs = cbor_map_handle(map);
        for (size_t i = 0; i < cbor_map_size(map); i++)
                if (cbor_isa_string(pairs[i].key) && cbor_string_is_definite(pairs[i].key) &&
                    cbor_string_length(pairs[i].key) == strlen(key) &&
                    memcmp(cbor_string_handle(pairs[i].key), key, strlen(key)) == 0)
                        return pairs[i].value;
        return NULL;
}

void map_put(cbor_item_t *map, cbor_item_t *key, cbor_item_t *value) {
        cbor_map_add(map, (struct cbor_pair) { .key = cbor_move(key), .value = cbor_move(value) });
}

static cbor_item_t *small_int(int v) {
        return v >= 0 ? cbor_build_uint8((uint8_t) v) : cbor_build_negint8((uint8_t) (-1 - v));
}

/* COSE_Key of a P-256 public key: kty 2 (EC2), alg, crv 1, x, y. */
cbor_item_t *cose_p256_key(EVP_PKEY *pkey, int alg) {
        uint8_t pub[65];
        size_t n = 0;
        cbor_item_t *m;

        if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &n) != 1 || n != 65)
                return NULL;
        m = cbor_new_definite_map(5);
        map_put(m, small_int(1), small_int(2));
        map_put(m, small_int(3), small_int(alg));
        map_put(m, small_int(-1), small_int(1));
        map_put(m, small_int(-2), cbor_build_bytestring(pub + 1, 32));
        map_put(m, small_int(-3), cbor_build_bytestring(pub + 33, 32));
        return m;
}

EVP_PKEY *cose_p256_parse(const cbor_item_t *cose) {
        const uint8_t *x, *y;
        size_t xn, yn;
        int64_t kty, crv;
        uint8_t pub[65];
        EVP_PKEY *pkey = NULL;
        EVP_PKEY_CTX *ctx;
        OSSL_PARAM params[3];

        if (!item_int(map_get_int(cose, 1), &kty) || kty != 2 || !item_int(map_get_int(cose, -1), &crv) || crv != 1 ||
            !item_bytes(map_get_int(cose, -2), &x, &xn) || xn != 32 || !item_bytes(map_get_int(cose, -3), &y, &yn) || yn != 32)
                return NULL;
        pub[0] = 0x04;
        memcpy(pub + 1, x, 32);
        memcpy(pub + 33, y, 32);
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *) "P-256", 0);
        params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub));
        params[2] = OSSL_PARAM_construct_end();
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
                pkey = NULL;
        EVP_PKEY_CTX_free(ctx);
        return pkey;
}
