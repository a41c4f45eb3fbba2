/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* homefs-ssh-agent: a keyslot whose passphrase is derived from the
 * signature of an SSH key over a challenge (lib/ssh-unlock.h). The agent
 * never sees the private key: enrolling and unlocking both bring the
 * signature, verified here with the enrolled public key before use. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "luks-token.h"
#include "macro.h"
#include "secret.h"
#include "ssh-key.h"
#include "ssh-unlock.h"
#include "token-parse.h"
#include "token.h"

/* The passphrase from a signature blob by key over the challenge for
 * user_name and salt: -EPERM if it does not verify. */
static int passphrase_from_signature(const struct ssh_pubkey *key, const char *user_name, const uint8_t *salt,
                                     const uint8_t *sig, size_t sig_len, char **ret) {
        _cleanup_(ssh_buf_freep) struct ssh_buf challenge = {};
        _cleanup_secret_ uint8_t *raw = secret_alloc(SSH_SIGNATURE_MAX);
        size_t raw_len = 0;
        int r;

        if (!raw)
                return -ENOMEM;
        r = ssh_unlock_challenge(user_name, salt, &challenge);
        if (r < 0)
                return r;
        r = ssh_signature_verify(key, sig, sig_len, challenge.p, challenge.len, raw, &raw_len);
        if (r == -EBADMSG)
                r = -EPERM; /* a malformed signature is a wrong one */
        if (r < 0)
                return r;
        return ssh_unlock_passphrase(raw, raw_len, salt, ret);
}

static bool already_enrolled(const char *image_path, const struct ssh_pubkey *key) {
        struct json_object *tokens = NULL;
        bool found = false;

        if (luks_tokens_list(image_path, &tokens) < 0)
                return false;
        for (size_t i = 0; i < json_object_array_length(tokens) && !found; i++) {
                struct json_object *t = json_object_array_get_idx(tokens, i);
                struct ssh_agent_token st = {};

                if (streq(token_type(t), SSH_AGENT_TOKEN_TYPE) && ssh_agent_token_parse(t, &st) >= 0)
                        found = st.key.blob_len == key->blob_len && memcmp(st.key.blob, key->blob, key->blob_len) == 0;
                ssh_agent_token_clear(&st);
        }
        json_object_put(tokens);
        return found;
}

static void free_sig(uint8_t **p, size_t n) {
        if (*p)
                explicit_bzero(*p, n);
        free(*p);
}

int token_ssh_agent_enroll(const char *image_path, const char *user_name, const char *public_key,
                           const char *salt, const char *signature, const void *volume_key,
                           size_t volume_key_size, struct agent_error *e) {
        _cleanup_secret_ char *pass = NULL;
        _cleanup_free_ void *salt_bytes = NULL;
        _cleanup_free_ char *line = NULL;
        uint8_t *sig = NULL;
        const char *why = NULL;
        struct ssh_pubkey key;
        struct json_object *fields;
        size_t salt_len = 0, sig_len = 0;
        int r;

        r = ssh_pubkey_parse_line(public_key, &key, &why);
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_INVALID_PARAMETER, "%s", why ? why : "The SSH key is invalid.");
        line = ssh_pubkey_to_line(&key);
        if (!line)
                r = -ENOMEM;
        else if (base64_decode(salt, &salt_bytes, &salt_len) < 0 || salt_len != SSH_UNLOCK_SALT_LEN)
                r = agent_error_set(e, -EINVAL, AGENT_ERROR_INVALID_PARAMETER, "The salt must be %u bytes in base64.",
                                    SSH_UNLOCK_SALT_LEN);
        else if (already_enrolled(image_path, &key))
                r = agent_error_set(e, -EEXIST, AGENT_ERROR_INVALID_PARAMETER,
                                    "This SSH key is enrolled already; remove its keyslot first to enroll it again.");
        else if (base64_decode(signature, (void **) &sig, &sig_len) < 0 ||
                 passphrase_from_signature(&key, user_name, salt_bytes, sig, sig_len, &pass) < 0)
                r = agent_error_set(e, -EPERM, AGENT_ERROR_INVALID_PARAMETER,
                                    "The signature does not verify with this SSH key over the challenge for %s.",
                                    user_name);
        free_sig(&sig, sig_len);
        if (r < 0) {
                ssh_pubkey_clear(&key);
                return r;
        }
        fields = json_object_new_object();
        json_object_object_add(fields, "ssh-public-key", json_object_new_string(line));
        json_object_object_add(fields, "ssh-salt", json_object_new_string(salt));
        json_object_object_add(fields, "ssh-signature-algorithm",
                               json_object_new_string(ssh_key_signature_algorithm(key.type)));
        ssh_pubkey_clear(&key);
        /* A signature is high-entropy: PBKDF2 at 1000 iterations, as for
         * the other token secrets. */
        r = token_enroll(image_path, volume_key, volume_key_size, pass, NULL, SSH_AGENT_TOKEN_TYPE, fields, e);
        return r < 0 ? r : 0;
}

int token_ssh_agent_passphrase(struct json_object *token, const char *user_name, const struct ssh_pubkey *key,
                               const uint8_t *sig, size_t sig_len, char **ret) {
        struct ssh_agent_token t;
        int r;

        r = ssh_agent_token_parse(token, &t);
        if (r >= 0 && (t.key.blob_len != key->blob_len || memcmp(t.key.blob, key->blob, key->blob_len) != 0))
                r = -ENXIO;
        if (r >= 0)
                r = passphrase_from_signature(&t.key, user_name, t.salt, sig, sig_len, ret);
        ssh_agent_token_clear(&t);
        return r;
}

static struct json_object *challenge_entry(const struct ssh_agent_token *t, const char *user_name) {
        _cleanup_(ssh_buf_freep) struct ssh_buf challenge = {};
        _cleanup_free_ char *line = ssh_pubkey_to_line(&t->key);
        _cleanup_secret_ char *b64 = NULL;
        struct json_object *o;

        if (!line || ssh_unlock_challenge(user_name, t->salt, &challenge) < 0)
                return NULL;
        b64 = base64_encode_secret(challenge.p, challenge.len);
        o = b64 ? json_object_new_object() : NULL;
        if (!o)
                return NULL;
        json_object_object_add(o, "publicKey", json_object_new_string(line));
        json_object_object_add(o, "algorithm", json_object_new_string(ssh_key_signature_algorithm(t->key.type)));
        json_object_object_add(o, "challenge", json_object_new_string(b64));
        return o;
}

int token_ssh_agent_challenges(const char *image_path, const char *user_name, struct json_object **ret) {
        struct json_object *tokens = NULL, *arr;
        int r;

        r = luks_tokens_list(image_path, &tokens);
        if (r < 0)
                return r;
        arr = json_object_new_array();
        for (size_t i = 0; arr && i < json_object_array_length(tokens); i++) {
                struct json_object *t = json_object_array_get_idx(tokens, i), *o;
                struct ssh_agent_token st = {};

                if (streq(token_type(t), SSH_AGENT_TOKEN_TYPE) && luks_token_keyslot(t) >= 0 &&
                    ssh_agent_token_parse(t, &st) >= 0 && (o = challenge_entry(&st, user_name)))
                        json_object_array_add(arr, o);
                ssh_agent_token_clear(&st);
        }
        json_object_put(tokens);
        if (!arr)
                return -ENOMEM;
        *ret = arr;
        return 0;
}
