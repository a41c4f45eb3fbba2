/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The methods on a home's credentials and keys: ListCredentials,
 * AddCredentials, RemoveCredential, ListSecurityTokens, GetSshKeys,
 * GetSshUnlockChallenges (docs/protocol.md, Methods). */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "agent-config.h"
#include "base64.h"
#include "call.h"
#include "home-ops.h"
#include "methods.h"
#include "registry.h"
#include "secret.h"
#include "ssh-key.h"
#include "ssh-keys.h"
#include "token-list.h"

#define SSH_UNLOCK_KEYS_MAX 16U

int method_list_credentials(struct call *c) {
        _cleanup_home_ struct home *h = NULL;
        struct json_object *list = NULL;
        int r;

        if ((r = call_home_acquire(c, &h)) < 0 || (r = home_list_credentials(h, &list, &c->error)) < 0)
                return r;
        return call_reply_one(c, "credentials", list);
}

/* A user enrolling into their own home picks neither the code the agent
 * loads (a PKCS#11 module-path) nor the socket it connects to: only p11-kit's
 * registered modules, and "auto" or a device the agent was configured with. */
static bool device_choice_allowed(const struct agent_config *config, const struct credential_spec *spec) {
        if (spec->pkcs11_uri && (strstr(spec->pkcs11_uri, "module-path") || strstr(spec->pkcs11_uri, "module-name")))
                return false;
        if (!spec->fido2_device || streq(spec->fido2_device, "auto"))
                return true;
        for (unsigned i = 0; i < config->n_fido2_devices; i++)
                if (streq(spec->fido2_device, config->fido2_devices[i]))
                        return true;
        return false;
}

/* sshUnlockKeys: 1 to SSH_UNLOCK_KEYS_MAX of {publicKey, salt, signature}
 * (strings; the enrollment checks them further). */
static int check_ssh_unlock_keys(struct json_object *v, void *dest) {
        struct strings {
                const char *line, *salt, *sig;
        } s;
        static const struct proto_field fields[] = {
                { "publicKey", PROTO_STRING, offsetof(struct strings, line), PROTO_REQUIRED,
                  BASE64_LENGTH(SSH_KEY_BLOB_MAX) + 64 },
                { "salt", PROTO_STRING, offsetof(struct strings, salt), PROTO_REQUIRED, 64 },
                { "signature", PROTO_STRING, offsetof(struct strings, sig), PROTO_REQUIRED, BASE64_LENGTH(SSH_SIGNATURE_MAX) },
                {}
        };
        size_t n = json_object_array_length(v);

        if (n == 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                struct json_object *k = json_object_array_get_idx(v, i);

                if (!json_object_is_type(k, json_type_object) || proto_dispatch(k, fields, &s, NULL) < 0)
                        return -EINVAL;
        }
        *(struct json_object **) dest = v;
        return 0;
}

/* Root, or the owner proving themselves with the password. */
int method_add_credentials(struct call *c) {
        struct params {
                const char *password;
                struct credential_spec spec;
        } p = {
                .spec.fido2_with_client_pin = true,
                .spec.fido2_with_up = true,
        };
#define SPEC(m) offsetof(struct params, spec.m)
        static const struct proto_field fields[] = {
                { "password", PROTO_STRING, offsetof(struct params, password), PROTO_REQUIRED, PASSWORD_MAX },
                { "recoveryKey", PROTO_BOOL, SPEC(recovery_key) },
                { "pkcs11TokenUri", PROTO_STRING, SPEC(pkcs11_uri), 0, PATH_MAX },
                { "pin", PROTO_STRING, SPEC(pin), PROTO_EMPTY_IS_ABSENT, PASSWORD_MAX },
                { "fido2Device", PROTO_STRING, SPEC(fido2_device), 0, PATH_MAX },
                { "fido2WithClientPin", PROTO_BOOL, SPEC(fido2_with_client_pin) },
                { "fido2WithUserPresence", PROTO_BOOL, SPEC(fido2_with_up) },
                { "fido2WithUserVerification", PROTO_BOOL, SPEC(fido2_with_uv) },
                { "sshUnlockKeys", PROTO_ARRAY, SPEC(ssh_unlock_keys), 0, SSH_UNLOCK_KEYS_MAX, check_ssh_unlock_keys },
                {}
        };
#undef SPEC
        _cleanup_secret_ char *recovery = NULL;
        _cleanup_home_ struct home *h = NULL;
        struct json_object *reply;
        int r;

        if ((r = call_params(c, fields, &p)) < 0)
                return r;
        if (c->peer_uid != 0 && !device_choice_allowed(c->config, &p.spec))
                return agent_error_set(&c->error, -EPERM, AGENT_ERROR_PERMISSION,
                                       "Only root may name a PKCS#11 module or a FIDO2 device path; use --fido2-device=auto "
                                       "or ask an administrator.");
        if (!p.spec.recovery_key && !p.spec.pkcs11_uri && !p.spec.fido2_device && !p.spec.ssh_unlock_keys)
                return agent_error_set(&c->error, -EINVAL, AGENT_ERROR_INVALID_PARAMETER, "No credential to add was given.");
        if ((r = call_home_acquire(c, &h)) < 0 ||
            (r = home_add_credentials(h, p.password, &p.spec, &recovery, &c->error)) < 0)
                return r;
        reply = json_object_new_object();
        if (recovery) {
                json_object_object_add(reply, "recoveryKey", json_object_new_string(recovery));
                c->secret_reply = true;
        }
        return call_reply(c, reply);
}

int method_remove_credential(struct call *c) {
        struct params {
                uint64_t slot;
        } p = {};
        static const struct proto_field fields[] = {
                { "keyslot", PROTO_U64, offsetof(struct params, slot), PROTO_REQUIRED, 1000 },
                {}
        };
        _cleanup_home_ struct home *h = NULL;
        int r;

        if ((r = call_params(c, fields, &p)) < 0 || (r = call_home_acquire(c, &h)) < 0 ||
            (r = home_remove_credential(h, (int) p.slot, &c->error)) < 0)
                return r;
        return call_reply(c, NULL);
}

/* Anyone may see which keys could be enrolled: token labels and URIs, no
 * secrets. */
int method_list_security_tokens(struct call *c) {
        return call_reply(c, security_tokens_list(c->config));
}

/* Public keys only: any local caller may ask (sshd's AuthorizedKeysCommand
 * runs unprivileged; the method table says CALL_ANYONE). */
int method_get_ssh_keys(struct call *c) {
        _cleanup_home_ struct home *h = NULL;
        struct json_object *keys = NULL;
        int r;

        if ((r = call_home_acquire(c, &h)) < 0 || (r = ssh_keys_get(h, &keys)) < 0)
                return r;
        return call_reply_one(c, "keys", keys);
}

/* The challenges of the home's SSH agent keys, for the user themself (the
 * SSH stub runs as the user) and root; anyone else gets PermissionDenied,
 * home or not, as for every per-home method, so this tells other users
 * nothing (not even whether the user exists). */
int method_get_ssh_unlock_challenges(struct call *c) {
        _cleanup_home_ struct home *h = NULL;
        struct json_object *list = NULL;
        int r;

        if ((r = call_home_acquire(c, &h)) < 0 || (r = home_ssh_unlock_challenges(h, &list, &c->error)) < 0)
                return r;
        return call_reply_one(c, "challenges", list);
}
