/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <string.h>

#include "base64.h"
#include "macro.h"
#include "proto.h"
#include "secret.h"
#include "ssh-unlock.h"

int ssh_unlock_challenge(const char *user_name, const uint8_t *salt, struct ssh_buf *b) {
        *b = (struct ssh_buf) {};
        /* The domain and its NUL first: no SSH authentication request (which
         * starts with the session id's length), no SSHSIG blob ("SSHSIG")
         * and no other protocol's signed data begins with these bytes. */
        ssh_put_bytes(b, SSH_UNLOCK_DOMAIN, sizeof(SSH_UNLOCK_DOMAIN));
        ssh_put_string(b, user_name, strlen(user_name));
        ssh_put_string(b, salt, SSH_UNLOCK_SALT_LEN);
        if (b->failed) {
                ssh_buf_free(b);
                return -ENOMEM;
        }
        return 0;
}

bool ssh_unlock_challenge_is_for(const uint8_t *data, size_t len, const char *user_name) {
        struct ssh_reader r = { data, len };
        const uint8_t *salt;
        size_t salt_len;

        if (len < sizeof(SSH_UNLOCK_DOMAIN) || memcmp(data, SSH_UNLOCK_DOMAIN, sizeof(SSH_UNLOCK_DOMAIN)) != 0)
                return false;
        r.p += sizeof(SSH_UNLOCK_DOMAIN);
        r.left -= sizeof(SSH_UNLOCK_DOMAIN);
        return ssh_read_string_is(&r, user_name) && ssh_read_string(&r, &salt, &salt_len) >= 0 &&
               salt_len == SSH_UNLOCK_SALT_LEN && r.left == 0;
}

int ssh_unlock_passphrase(const uint8_t *raw_sig, size_t raw_len, const uint8_t *salt, char **ret) {
        EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
        EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
        _cleanup_secret_ uint8_t *okm = secret_alloc(SSH_UNLOCK_KEY_LEN);
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *) "SHA256", 0),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *) raw_sig, raw_len),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *) salt, SSH_UNLOCK_SALT_LEN),
                OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *) SSH_UNLOCK_HKDF_INFO,
                                                  strlen(SSH_UNLOCK_HKDF_INFO)),
                OSSL_PARAM_construct_end(),
        };
        int r = -ENOMEM;

        *ret = NULL;
        if (ctx && okm) {
                r = EVP_KDF_derive(ctx, okm, SSH_UNLOCK_KEY_LEN, params) == 1 ? 0 : -EIO;
                if (r >= 0) {
                        *ret = base64_encode_secret(okm, SSH_UNLOCK_KEY_LEN);
                        if (!*ret)
                                r = -ENOMEM;
                }
        }
        EVP_KDF_CTX_free(ctx);
        EVP_KDF_free(kdf);
        return r;
}

void ssh_unlock_wipe_signatures(struct json_object *params) {
        struct json_object *v;

        if (json_object_object_get_ex(params, "sshAgentSignature", &v))
                proto_wipe_string(v, "signature");
        if (json_object_object_get_ex(params, "sshUnlockKeys", &v) && json_object_is_type(v, json_type_array))
                for (size_t i = 0; i < json_object_array_length(v); i++)
                        proto_wipe_string(json_object_array_get_idx(v, i), "signature");
}
