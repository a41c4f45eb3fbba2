/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The keys on the PKCS#11 tokens p11-kit knows, as URIs that name them: for
 * --pkcs11-token-uri=list and =auto. Only public objects are looked at (no
 * PIN): certificates and public keys with an id. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "pkcs11.h"

static void blank_pad(unsigned char *dst, size_t size, const char *src) {
        size_t n = src ? strlen(src) : 0;

        memset(dst, ' ', size);
        memcpy(dst, src, n < size ? n : size);
}

/* "pkcs11:model=...;manufacturer=...;serial=...;token=...;id=%.." */
static char *key_uri(const PKCS11_TOKEN *t, const unsigned char *id, size_t id_len) {
        P11KitUri *uri = p11_kit_uri_new();
        CK_TOKEN_INFO *info;
        CK_ATTRIBUTE attr = { .type = CKA_ID, .pValue = (void *) id, .ulValueLen = id_len };
        char *s = NULL;

        if (!uri)
                return NULL;
        info = p11_kit_uri_get_token_info(uri);
        blank_pad(info->label, sizeof(info->label), t->label);
        blank_pad(info->manufacturerID, sizeof(info->manufacturerID), t->manufacturer);
        blank_pad(info->model, sizeof(info->model), t->model);
        blank_pad(info->serialNumber, sizeof(info->serialNumber), t->serialnr);
        if (p11_kit_uri_set_attribute(uri, &attr) != P11_KIT_URI_OK ||
            p11_kit_uri_format(uri, P11_KIT_URI_FOR_OBJECT_ON_TOKEN, &s) != P11_KIT_URI_OK)
                s = NULL;
        p11_kit_uri_free(uri);
        return s;
}

static void add_key(struct json_object *arr, const PKCS11_TOKEN *t, const unsigned char *id, size_t id_len,
                    EVP_PKEY *pub, const char *label) {
        char *uri;
        struct json_object *o;
        int type = pub ? EVP_PKEY_get_base_id(pub) : 0;

        if (id_len == 0 || (type != EVP_PKEY_RSA && type != EVP_PKEY_EC))
                return;
        uri = key_uri(t, id, id_len);
        if (!uri)
                return;
        /* A certificate and its public key name the same key once. */
        for (size_t i = 0; i < json_object_array_length(arr); i++)
                if (streq(json_object_get_string(json_object_object_get(json_object_array_get_idx(arr, i), "uri")), uri)) {
                        free(uri);
                        return;
                }
        o = json_object_new_object();
        json_object_object_add(o, "uri", json_object_new_string(uri));
        json_object_object_add(o, "keyType", json_object_new_string(type == EVP_PKEY_RSA ? "rsa" : "ec"));
        json_object_object_add(o, "token", json_object_new_string(t->label ? t->label : ""));
        if (label)
                json_object_object_add(o, "label", json_object_new_string(label));
        json_object_array_add(arr, o);
        free(uri);
}

static void list_token(struct json_object *arr, PKCS11_TOKEN *t) {
        PKCS11_CERT *certs = NULL;
        PKCS11_KEY *keys = NULL;
        unsigned n = 0;

        if (PKCS11_enumerate_certs(t, &certs, &n) == 0)
                for (unsigned i = 0; i < n; i++)
                        if (certs[i].x509) {
                                EVP_PKEY *pub = X509_get_pubkey(certs[i].x509);

                                add_key(arr, t, certs[i].id, certs[i].id_len, pub, certs[i].label);
                                EVP_PKEY_free(pub);
                        }
        n = 0;
        if (PKCS11_enumerate_public_keys(t, &keys, &n) == 0)
                for (unsigned i = 0; i < n; i++)
                {
                        EVP_PKEY *pub = PKCS11_get_public_key(&keys[i]);

                        add_key(arr, t, keys[i].id, keys[i].id_len, pub, keys[i].label);
                        EVP_PKEY_free(pub);
                }
}

int pkcs11_list_keys(struct json_object **ret) {
        struct pkcs11_handle h;
        struct json_object *arr = json_object_new_array();
        int r;

        if (!arr)
                return -ENOMEM;
        r = pkcs11_open(&h, "pkcs11:"); /* every token of every module */
        if (r >= 0 || r == -ENXIO)
                for (unsigned i = 0; i < h.n_slots; i++)
                        if (h.slots[i].token && h.slots[i].token->initialized)
                                list_token(arr, h.slots[i].token);
        pkcs11_close(&h);
        if (r < 0 && r != -ENXIO) {
                json_object_put(arr);
                return r;
        }
        *ret = arr;
        return 0;
}
