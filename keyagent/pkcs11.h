/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libp11.h>
#include <limits.h>
#include <p11-kit/uri.h>
#include <json-c/json.h>
#include <stdbool.h>

/* Reaching a key on a PKCS#11 token named by an RFC 7512 URI, with libp11.
 * The agent loads only the modules the administrator configured
 * (--pkcs11-module) and p11-kit's proxy, which offers every module
 * registered with p11-kit. A URI's module-path picks one of those by its
 * path; without one the proxy is used. One PKCS#11 user at a time in the
 * agent: modules are initialized per process. */

#define PKCS11_MODULES_MAX 8U

struct pkcs11_handle {
        PKCS11_CTX *ctx;
        PKCS11_SLOT *slots;
        unsigned n_slots;
        PKCS11_SLOT *slot;      /* the slot of the token the URI names */
        P11KitUri *uri;
        bool loaded;            /* the module loaded into ctx */
        bool locked;
};

/* At start: open and check the configured modules and the proxy, keeping
 * their fds (a module that fails the check is logged and left out). */
int pkcs11_modules_init(const char (*paths)[PATH_MAX], unsigned n);

/* Parse uri, load the module and find the token: -EINVAL for a bad URI,
 * -ENXIO when no token matches (absent), -ENOPKG when the module is not
 * configured or does not load. Call pkcs11_close() in any case. */
int pkcs11_open(struct pkcs11_handle *h, const char *uri);
void pkcs11_close(struct pkcs11_handle *h);

/* Log in with pin: -EPERM wrong PIN, -EKEYREVOKED PIN locked. */
int pkcs11_login(struct pkcs11_handle *h, const char *pin);

/* The public key of the key pair the URI names (certificate or public key
 * object; the caller frees it), or NULL: -ENOKEY. */
int pkcs11_public_key(struct pkcs11_handle *h, EVP_PKEY **ret);

/* The RSA and EC keys on every token p11-kit's proxy offers, without login:
 * an array of {uri, keyType ("rsa"/"ec"), token, label?}. */
int pkcs11_list_keys(struct json_object **ret);

/* The private key (after login; freed with the handle's context: free it
 * before pkcs11_close()). */
int pkcs11_private_key(struct pkcs11_handle *h, EVP_PKEY **ret);
