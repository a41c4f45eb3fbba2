/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "macro.h"
#include "parse-util.h"
#include "token-parse.h"

int luks_token_keyslot(struct json_object *token) {
        struct json_object *slots, *first;
        const char *s;
        unsigned v;

        if (!json_object_object_get_ex(token, "keyslots", &slots) || !json_object_is_type(slots, json_type_array) ||
            json_object_array_length(slots) < 1)
                return -EINVAL;
        first = json_object_array_get_idx(slots, 0);
        if (!json_object_is_type(first, json_type_string))
                return -EINVAL;
        s = json_object_get_string(first);
        if (safe_atou(s, &v) < 0 || v >= TOKEN_KEYSLOTS_MAX)
                return -EINVAL;
        return (int) v;
}

/* A string member, or NULL when absent or not a string. */
static const char *string_member(struct json_object *j, const char *key) {
        struct json_object *v;

        if (!json_object_object_get_ex(j, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/* A boolean member; def when absent. -EBADMSG when present but not a bool. */
static int bool_member(struct json_object *j, const char *key, bool def, bool *ret) {
        struct json_object *v;

        if (!json_object_object_get_ex(j, key, &v)) {
                *ret = def;
                return 0;
        }
        if (!json_object_is_type(v, json_type_boolean))
                return -EBADMSG;
        *ret = json_object_get_boolean(v);
        return 0;
}

int fido2_token_parse(struct json_object *j, struct fido2_token *t) {
        const char *s, *rp;
        void *p;
        size_t n;

        *t = (struct fido2_token) {};
        s = string_member(j, "fido2-credential");
        if (!s || base64_decode(s, &p, &n) < 0 || n == 0)
                return -EBADMSG;
        t->cred_id = p;
        t->cred_id_len = n;
        s = string_member(j, "fido2-salt");
        if (!s || base64_decode(s, &p, &n) < 0)
                return -EBADMSG;
        t->salt = p;
        t->salt_len = n;
        if (t->salt_len != FIDO2_SALT_LEN)
                return -EBADMSG;
        /* A token of another relying party is not ours to use. */
        if (json_object_object_get_ex(j, "fido2-rp", NULL)) {
                rp = string_member(j, "fido2-rp");
                if (!rp)
                        return -EBADMSG;
                if (!streq(rp, FIDO2_RP_ID))
                        return -EOPNOTSUPP;
        }
        /* systemd's defaults for tokens written before these fields existed */
        if (bool_member(j, "fido2-clientPin-required", false, &t->client_pin) < 0 ||
            bool_member(j, "fido2-up-required", true, &t->up) < 0 ||
            bool_member(j, "fido2-uv-required", false, &t->uv) < 0)
                return -EBADMSG;
        return 0;
}

void fido2_token_clear(struct fido2_token *t) {
        free(t->cred_id);
        free(t->salt);
        *t = (struct fido2_token) {};
}

int pkcs11_token_parse(struct json_object *token, const char **uri, void **blob, size_t *blob_size) {
        const char *u = string_member(token, "pkcs11-uri"), *k = string_member(token, "pkcs11-key");

        if (!u || !k || strncmp(u, "pkcs11:", 7) != 0)
                return -EBADMSG;
        if (base64_decode(k, blob, blob_size) < 0 || *blob_size == 0) {
                free(*blob);
                *blob = NULL;
                return -EBADMSG;
        }
        *uri = u;
        return 0;
}

int ssh_agent_token_parse(struct json_object *j, struct ssh_agent_token *t) {
        const char *key = string_member(j, "ssh-public-key"), *salt = string_member(j, "ssh-salt"),
                   *alg = string_member(j, "ssh-signature-algorithm");
        _cleanup_free_ void *p = NULL;
        size_t n = 0;

        *t = (struct ssh_agent_token) {};
        if (!key || !salt || !alg || ssh_pubkey_parse_line(key, &t->key, NULL) < 0)
                return -EBADMSG;
        if (!streq(alg, ssh_key_signature_algorithm(t->key.type)) || base64_decode(salt, &p, &n) < 0 ||
            n != SSH_UNLOCK_SALT_LEN)
                return -EBADMSG;
        memcpy(t->salt, p, n);
        return 0;
}

void ssh_agent_token_clear(struct ssh_agent_token *t) {
        ssh_pubkey_clear(&t->key);
        *t = (struct ssh_agent_token) {};
}
