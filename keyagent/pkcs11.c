/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/err.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "macro.h"
#include "pkcs11.h"

static pthread_mutex_t pkcs11_mutex = PTHREAD_MUTEX_INITIALIZER;

/* CK_TOKEN_INFO's text fields are blank-padded, not NUL-terminated. */
static void pad(unsigned char *dst, size_t size, const char *src) {
        size_t n = src ? strlen(src) : 0;

        memset(dst, ' ', size);
        memcpy(dst, src, n < size ? n : size);
}

static bool token_matches(P11KitUri *uri, const PKCS11_TOKEN *t) {
        CK_TOKEN_INFO info = {};

        pad(info.label, sizeof(info.label), t->label);
        pad(info.manufacturerID, sizeof(info.manufacturerID), t->manufacturer);
        pad(info.model, sizeof(info.model), t->model);
        pad(info.serialNumber, sizeof(info.serialNumber), t->serialnr);
        return p11_kit_uri_match_token_info(uri, &info) == 1;
}

/* The agent runs as root: a module it loads must be one only root could have
 * put there (root's file in root's directory, neither writable by others),
 * whoever wrote the URI into a request or an image. */
static int owned_by_root_only(const char *path) {
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        return st.st_uid == 0 && !(st.st_mode & (S_IWGRP | S_IWOTH)) ? 0 : -EPERM;
}

static int module_trusted(const char *path) {
        char dir[PATH_MAX];
        int r;

        if (path[0] != '/' || strlen(path) >= sizeof(dir))
                return -EPERM;
        strcpy(dir, path);
        *strrchr(dir, '/') = 0;
        r = owned_by_root_only(path);
        return r < 0 ? r : owned_by_root_only(dir[0] ? dir : "/");
}

int pkcs11_open(struct pkcs11_handle *h, const char *uri) {
        const char *module;

        *h = (struct pkcs11_handle) {};
        h->uri = p11_kit_uri_new();
        if (!h->uri)
                return -ENOMEM;
        if (strncmp(uri, "pkcs11:", 7) != 0 || p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, h->uri) != P11_KIT_URI_OK)
                return -EINVAL;
        module = p11_kit_uri_get_module_path(h->uri);
        if (module && module_trusted(module) < 0) {
                log_error("refusing the PKCS#11 module %s: not a root-owned file in a root-owned directory", module);
                return -ENOPKG;
        }
        if (!module)
                module = PKCS11_DEFAULT_MODULE;
        pthread_mutex_lock(&pkcs11_mutex);
        h->locked = true;
        h->ctx = PKCS11_CTX_new();
        if (!h->ctx)
                return -ENOMEM;
        if (PKCS11_CTX_load(h->ctx, module) < 0) {
                log_error("cannot load the PKCS#11 module %s", module);
                return -ENOPKG;
        }
        if (PKCS11_enumerate_slots(h->ctx, &h->slots, &h->n_slots) < 0)
                return -EIO;
        for (unsigned i = 0; i < h->n_slots; i++)
                if (h->slots[i].token && h->slots[i].token->initialized && token_matches(h->uri, h->slots[i].token)) {
                        h->slot = &h->slots[i];
                        return 0;
                }
        return -ENXIO;
}

void pkcs11_close(struct pkcs11_handle *h) {
        if (h->slots)
                PKCS11_release_all_slots(h->ctx, h->slots, h->n_slots);
        if (h->ctx) {
                PKCS11_CTX_unload(h->ctx);
                PKCS11_CTX_free(h->ctx);
        }
        if (h->uri)
                p11_kit_uri_free(h->uri);
        if (h->locked)
                pthread_mutex_unlock(&pkcs11_mutex);
        *h = (struct pkcs11_handle) {};
}

int pkcs11_login(struct pkcs11_handle *h, const char *pin) {
        unsigned long reason;

        if (h->slot->token->userPinLocked)
                return -EKEYREVOKED;
        ERR_clear_error();
        if (PKCS11_open_session(h->slot, 0) < 0)
                return -EIO;
        if (PKCS11_login(h->slot, 0, pin) == 0)
                return 0;
        /* libp11 queues the PKCS#11 return value as the error's reason. */
        reason = ERR_GET_REASON(ERR_peek_last_error());
        ERR_clear_error();
        if (reason == CKR_PIN_LOCKED)
                return -EKEYREVOKED;
        if (reason == CKR_PIN_INCORRECT || reason == CKR_PIN_INVALID || reason == CKR_PIN_LEN_RANGE)
                return -EPERM;
        return -EIO;
}

/* Does key match the URI's object attributes (id, label)? */
static bool object_matches(P11KitUri *uri, const unsigned char *id, size_t id_len, const char *label) {
        CK_ATTRIBUTE *a;

        a = p11_kit_uri_get_attribute(uri, CKA_ID);
        if (a && (a->ulValueLen != id_len || memcmp(a->pValue, id, id_len) != 0))
                return false;
        a = p11_kit_uri_get_attribute(uri, CKA_LABEL);
        if (a && (!label || a->ulValueLen != strlen(label) || memcmp(a->pValue, label, a->ulValueLen) != 0))
                return false;
        return true;
}

static PKCS11_KEY *find_key(P11KitUri *uri, PKCS11_KEY *keys, unsigned n) {
        for (unsigned i = 0; i < n; i++)
                if (object_matches(uri, keys[i].id, keys[i].id_len, keys[i].label))
                        return &keys[i];
        return NULL;
}

int pkcs11_public_key(struct pkcs11_handle *h, EVP_PKEY **ret) {
        PKCS11_CERT *certs = NULL;
        PKCS11_KEY *keys = NULL, *k;
        unsigned n = 0;

        if (PKCS11_enumerate_certs(h->slot->token, &certs, &n) == 0)
                for (unsigned i = 0; i < n; i++)
                        if (certs[i].x509 && object_matches(h->uri, certs[i].id, certs[i].id_len, certs[i].label)) {
                                EVP_PKEY *pk = X509_get_pubkey(certs[i].x509);

                                if (pk) {
                                        *ret = pk;
                                        return 0;
                                }
                        }
        n = 0;
        if (PKCS11_enumerate_public_keys(h->slot->token, &keys, &n) < 0)
                return -EIO;
        k = find_key(h->uri, keys, n);
        if (!k)
                return -ENOKEY;
        *ret = PKCS11_get_public_key(k);
        return *ret ? 0 : -EIO;
}

int pkcs11_private_key(struct pkcs11_handle *h, EVP_PKEY **ret) {
        PKCS11_KEY *keys = NULL, *k;
        unsigned n = 0;

        if (PKCS11_enumerate_keys(h->slot->token, &keys, &n) < 0)
                return -EIO;
        k = find_key(h->uri, keys, n);
        if (!k)
                return -ENOKEY;
        *ret = PKCS11_get_private_key(k);
        return *ret ? 0 : -EIO;
}
