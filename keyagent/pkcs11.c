/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <openssl/err.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "log.h"
#include "macro.h"
#include "pkcs11.h"
#include "safe-path.h"

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

/* The modules the agent may load: the administrator's (--pkcs11-module) and
 * p11-kit's proxy. Each is opened once, at start, by a walk that follows no
 * symlink and accepts only root's directories (lib/safe-path.c), checked on
 * that fd, and later loaded through the same fd (/proc/self/fd/N): what was
 * checked is what is loaded, whatever happens to the path meanwhile. The fd
 * stays open for the agent's lifetime, so the name /proc/self/fd/N always
 * means the same file to the dynamic loader (which reuses a loaded object
 * by name). A module path from a URI only selects one of these, by its
 * exact path (as configured or resolved); anything else is refused, never
 * opened. The administrator's path is resolved once (realpath) and the walk
 * then checks the file it resolves to. */
struct pkcs11_module {
        char path[PATH_MAX];    /* as configured */
        char real[PATH_MAX];    /* resolved once, at start (Debian's module paths are symlinks) */
        int fd;
};

static struct pkcs11_module modules[PKCS11_MODULES_MAX + 1];
static unsigned n_modules;

/* A module file must be root's and writable by nobody else. */
static int module_file_check(int fd) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        return st.st_uid == 0 && !(st.st_mode & (S_IWGRP | S_IWOTH)) ? 0 : -EPERM;
}

static int module_add(const char *path, bool quiet_if_missing) {
        char bad[PATH_MAX] = "", real[PATH_MAX];
        int fd, r;

        if (n_modules >= ELEMENTSOF(modules) || strlen(path) >= PATH_MAX)
                return -E2BIG;
        if (!realpath(path, real)) {
                if (errno == ENOENT && quiet_if_missing)
                        return -ENOENT;
                return log_error_errno(-errno, "not using the PKCS#11 module %s: %m", path);
        }
        fd = safe_path_open(real, O_RDONLY, bad, sizeof(bad));
        if (fd < 0)
                return log_error_errno(fd, "not using the PKCS#11 module %s: %s %s (every directory on the way must "
                                       "be root's, writable by nobody else, and no symlink): %m",
                                       real, fd == -ELOOP ? "a symlink at" : "refused at", bad);
        r = module_file_check(fd);
        if (r < 0) {
                close(fd);
                return log_error_errno(r, "not using the PKCS#11 module %s: it must be a regular file of root's that "
                                       "nobody else can write", path);
        }
        snprintf(modules[n_modules].path, PATH_MAX, "%s", path);
        snprintf(modules[n_modules].real, PATH_MAX, "%s", real);
        modules[n_modules++].fd = fd;
        return 0;
}

int pkcs11_modules_init(const char (*paths)[PATH_MAX], unsigned n) {
        for (unsigned i = 0; i < n && i < PKCS11_MODULES_MAX; i++)
                if (module_add(paths[i], false) >= 0)
                        log_info("PKCS#11 module %s configured", paths[i]);
        if (module_add(HOMEFS_P11KIT_PROXY, true) < 0)
                log_info("p11-kit's proxy %s is not usable: only configured PKCS#11 modules are available",
                         HOMEFS_P11KIT_PROXY);
        return 0;
}

static const struct pkcs11_module *module_find(const char *path) {
        for (unsigned i = 0; i < n_modules; i++)
                if (streq(modules[i].path, path) || streq(modules[i].real, path))
                        return &modules[i];
        return NULL;
}

/* Load m into ctx through its fd, after checking the fd again. */
static int module_load(PKCS11_CTX *ctx, const struct pkcs11_module *m) {
        char name[64];
        int r = module_file_check(m->fd);

        if (r < 0)
                return log_error_errno(r, "refusing the PKCS#11 module %s: it changed since the agent started: %m", m->path);
        snprintf(name, sizeof(name), "/proc/self/fd/%d", m->fd);
        if (PKCS11_CTX_load(ctx, name) < 0) {
                log_error("cannot load the PKCS#11 module %s", m->path);
                return -ENOPKG;
        }
        return 0;
}

int pkcs11_open(struct pkcs11_handle *h, const char *uri) {
        const struct pkcs11_module *m;
        const char *path;
        int r;

        *h = (struct pkcs11_handle) {};
        h->uri = p11_kit_uri_new();
        if (!h->uri)
                return -ENOMEM;
        if (strncmp(uri, "pkcs11:", 7) != 0 || p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, h->uri) != P11_KIT_URI_OK)
                return -EINVAL;
        path = p11_kit_uri_get_module_path(h->uri);
        m = module_find(path ? path : HOMEFS_P11KIT_PROXY);
        if (!m) {
                log_error("refusing the PKCS#11 module %s: not configured (homefs-agent --pkcs11-module=PATH)",
                          path ? path : HOMEFS_P11KIT_PROXY);
                return -ENOPKG;
        }
        pthread_mutex_lock(&pkcs11_mutex);
        h->locked = true;
        h->ctx = PKCS11_CTX_new();
        if (!h->ctx)
                return -ENOMEM;
        r = module_load(h->ctx, m);
        if (r < 0)
                return r;
        h->loaded = true;
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
        /* libp11 crashes unloading a context whose load failed. */
        if (h->loaded)
                PKCS11_CTX_unload(h->ctx);
        if (h->ctx)
                PKCS11_CTX_free(h->ctx);
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
