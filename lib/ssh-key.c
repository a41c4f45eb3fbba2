/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "macro.h"
#include "ssh-key.h"
#include "ssh-wire.h"

#define ED25519_KEY_LEN 32U
#define ED25519_SIG_LEN 64U

const char *ssh_key_type_name(enum ssh_key_type t) {
        return t == SSH_KEY_RSA ? "ssh-rsa" : "ssh-ed25519";
}

const char *ssh_key_signature_algorithm(enum ssh_key_type t) {
        return t == SSH_KEY_RSA ? "rsa-sha2-512" : "ssh-ed25519";
}

static int type_from_name(const uint8_t *name, size_t n, enum ssh_key_type *ret, const char **why) {
        static const char unusable_sk[] =
                "FIDO security keys (sk-*) sign a counter that changes with every use, so they cannot open a keyslot "
                "twice; use an ed25519 or RSA key.";
        static const char unusable_ecdsa[] =
                "ECDSA signatures are randomized (another value every time), so they cannot open a keyslot; "
                "use an ed25519 or RSA key.";

        if (n == 11 && memcmp(name, "ssh-ed25519", 11) == 0)
                *ret = SSH_KEY_ED25519;
        else if (n == 7 && memcmp(name, "ssh-rsa", 7) == 0)
                *ret = SSH_KEY_RSA;
        else {
                if (why)
                        *why = n >= 3 && memcmp(name, "sk-", 3) == 0       ? unusable_sk
                               : n >= 6 && memcmp(name, "ecdsa-", 6) == 0 ? unusable_ecdsa
                                                                           : "Only ed25519 and RSA keys can unlock a home.";
                return -EOPNOTSUPP;
        }
        return 0;
}

/* An SSH mpint that must be positive and non-zero: its magnitude. */
static int read_positive_mpint(struct ssh_reader *r, const uint8_t **ret, size_t *ret_len) {
        const uint8_t *p;
        size_t n;

        if (ssh_read_string(r, &p, &n) < 0 || n == 0 || (p[0] & 0x80))
                return -EBADMSG;
        while (n > 0 && p[0] == 0) { /* the sign byte */
                p++;
                n--;
        }
        if (n == 0)
                return -EBADMSG;
        *ret = p;
        *ret_len = n;
        return 0;
}

/* Check the blob's shape (type, fields, nothing after them). */
static int check_blob(const uint8_t *blob, size_t len, enum ssh_key_type *ret, const char **why) {
        struct ssh_reader r = { blob, len };
        const uint8_t *name, *a, *b;
        size_t name_len, a_len, b_len;
        int k;

        if (len > SSH_KEY_BLOB_MAX || ssh_read_string(&r, &name, &name_len) < 0)
                goto bad;
        k = type_from_name(name, name_len, ret, why);
        if (k < 0)
                return k;
        if (*ret == SSH_KEY_ED25519) {
                if (ssh_read_string(&r, &a, &a_len) < 0 || a_len != ED25519_KEY_LEN)
                        goto bad;
        } else if (read_positive_mpint(&r, &a, &a_len) < 0 || read_positive_mpint(&r, &b, &b_len) < 0 ||
                   b_len < SSH_RSA_BITS_MIN / 8 || b_len > SSH_RSA_BITS_MAX / 8 || a_len > 8 || !(a[a_len - 1] & 1)) {
                if (why)
                        *why = "The RSA key is malformed or not between 2048 and 16384 bits.";
                return -EINVAL;
        }
        if (r.left == 0)
                return 0;
bad:
        if (why)
                *why = "The SSH public key is malformed.";
        return -EINVAL;
}

int ssh_pubkey_from_blob(const uint8_t *blob, size_t len, struct ssh_pubkey *k, const char **why) {
        enum ssh_key_type t;
        int r;

        *k = (struct ssh_pubkey) {};
        r = check_blob(blob, len, &t, why);
        if (r < 0)
                return r;
        k->blob = malloc(len);
        if (!k->blob)
                return -ENOMEM;
        memcpy(k->blob, blob, len);
        k->blob_len = len;
        k->type = t;
        return 0;
}

int ssh_pubkey_parse_line(const char *line, struct ssh_pubkey *k, const char **why) {
        _cleanup_free_ char *type = NULL, *b64 = NULL;
        _cleanup_free_ void *blob = NULL;
        enum ssh_key_type t;
        size_t n, m, blob_len;
        int r;

        *k = (struct ssh_pubkey) {};
        if (strstr(line, "PRIVATE KEY")) {
                if (why)
                        *why = "This is a private key; give the public key (the .pub file).";
                return -EINVAL;
        }
        line += strspn(line, " \t");
        n = strcspn(line, " \t\r\n");
        type = strndup(line, n);
        line += n;
        line += strspn(line, " \t");
        m = strcspn(line, " \t\r\n");
        b64 = strndup(line, m);
        if (!type || !b64)
                return -ENOMEM;
        r = type_from_name((const uint8_t *) type, n, &t, why);
        if (r < 0)
                return r;
        if (m == 0 || m > BASE64_LENGTH(SSH_KEY_BLOB_MAX) || base64_decode(b64, &blob, &blob_len) < 0) {
                if (why)
                        *why = "The SSH public key is not of the form 'TYPE BASE64 [COMMENT]'.";
                return -EINVAL;
        }
        r = ssh_pubkey_from_blob(blob, blob_len, k, why);
        if (r >= 0 && k->type != t) {
                ssh_pubkey_clear(k);
                if (why)
                        *why = "The SSH public key's type does not match its data.";
                return -EINVAL;
        }
        return r;
}

void ssh_pubkey_clear(struct ssh_pubkey *k) {
        free(k->blob);
        *k = (struct ssh_pubkey) {};
}

char *ssh_pubkey_to_line(const struct ssh_pubkey *k) {
        const char *name = ssh_key_type_name(k->type);
        size_t n = strlen(name) + 1 + BASE64_LENGTH(k->blob_len) + 1;
        char *s = malloc(n);

        if (!s)
                return NULL;
        memcpy(s, name, strlen(name));
        s[strlen(name)] = ' ';
        EVP_EncodeBlock((unsigned char *) s + strlen(name) + 1, k->blob, (int) k->blob_len);
        return s;
}

static int rsa_to_evp(const uint8_t *e, size_t e_len, const uint8_t *n, size_t n_len, EVP_PKEY **ret) {
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        BIGNUM *bn_e = BN_bin2bn(e, (int) e_len, NULL), *bn_n = BN_bin2bn(n, (int) n_len, NULL);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
        OSSL_PARAM *params = NULL;
        int r = -ENOMEM;

        *ret = NULL;
        if (bld && bn_e && bn_n && ctx && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) && (params = OSSL_PARAM_BLD_to_param(bld)))
                r = EVP_PKEY_fromdata_init(ctx) == 1 && EVP_PKEY_fromdata(ctx, ret, EVP_PKEY_PUBLIC_KEY, params) == 1
                            ? 0
                            : -EINVAL;
        OSSL_PARAM_free(params);
        EVP_PKEY_CTX_free(ctx);
        BN_free(bn_n);
        BN_free(bn_e);
        OSSL_PARAM_BLD_free(bld);
        return r;
}

int ssh_pubkey_to_evp(const struct ssh_pubkey *k, EVP_PKEY **ret) {
        struct ssh_reader r = { k->blob, k->blob_len };
        const uint8_t *name, *a, *b;
        size_t name_len, a_len, b_len;

        *ret = NULL;
        if (ssh_read_string(&r, &name, &name_len) < 0)
                return -EINVAL;
        if (k->type == SSH_KEY_ED25519) {
                if (ssh_read_string(&r, &a, &a_len) < 0 || a_len != ED25519_KEY_LEN)
                        return -EINVAL;
                *ret = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, a, a_len);
                return *ret ? 0 : -EINVAL;
        }
        if (read_positive_mpint(&r, &a, &a_len) < 0 || read_positive_mpint(&r, &b, &b_len) < 0)
                return -EINVAL;
        return rsa_to_evp(a, a_len, b, b_len, ret);
}

int ssh_signature_verify(const struct ssh_pubkey *k, const uint8_t *sig, size_t sig_len,
                         const uint8_t *data, size_t data_len, uint8_t *raw, size_t *raw_len) {
        struct ssh_reader r = { sig, sig_len };
        EVP_PKEY *pkey = NULL;
        EVP_MD_CTX *md = NULL;
        const uint8_t *s;
        size_t s_len, want;
        int k2;

        if (sig_len > SSH_SIGNATURE_MAX || !ssh_read_string_is(&r, ssh_key_signature_algorithm(k->type)) ||
            ssh_read_string(&r, &s, &s_len) < 0 || r.left != 0)
                return -EBADMSG;
        k2 = ssh_pubkey_to_evp(k, &pkey);
        if (k2 < 0)
                return k2;
        want = k->type == SSH_KEY_ED25519 ? ED25519_SIG_LEN : (size_t) EVP_PKEY_get_size(pkey);
        if (s_len > want || want > SSH_SIGNATURE_MAX || (k->type == SSH_KEY_ED25519 && s_len != want)) {
                EVP_PKEY_free(pkey);
                return -EBADMSG;
        }
        /* RSA: the integer at the modulus' length, as PKCS#1 defines it. */
        memset(raw, 0, want - s_len);
        memcpy(raw + (want - s_len), s, s_len);
        *raw_len = want;
        md = EVP_MD_CTX_new();
        k2 = md && EVP_DigestVerifyInit(md, NULL, k->type == SSH_KEY_RSA ? EVP_sha512() : NULL, NULL, pkey) == 1 &&
                             EVP_DigestVerify(md, raw, want, data, data_len) == 1
                     ? 0
                     : -EPERM;
        EVP_MD_CTX_free(md);
        EVP_PKEY_free(pkey);
        if (k2 < 0)
                explicit_bzero(raw, want);
        return k2;
}
