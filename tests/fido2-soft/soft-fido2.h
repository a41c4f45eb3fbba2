/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A software FIDO2 authenticator for the tests: CTAPHID reports over a Unix
 * seqpacket socket (the agent's "unix:" FIDO2 transport), CTAP 2.0/2.1
 * getInfo, makeCredential, getAssertion with hmac-secret, and clientPIN with
 * PIN/UV auth protocols 1 and 2. Written from the CTAP 2.1 specification. */

#include <cbor.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CTAP2 status codes */
#define CTAP2_OK 0x00
#define CTAP1_ERR_INVALID_COMMAND 0x01
#define CTAP1_ERR_INVALID_LENGTH 0x03
#define CTAP2_ERR_CBOR_UNEXPECTED_TYPE 0x11
#define CTAP2_ERR_INVALID_CBOR 0x12
#define CTAP2_ERR_MISSING_PARAMETER 0x14
#define CTAP2_ERR_UNSUPPORTED_ALGORITHM 0x26
#define CTAP2_ERR_OPERATION_DENIED 0x27
#define CTAP2_ERR_NO_CREDENTIALS 0x2e
#define CTAP1_ERR_OTHER 0x7f
#define CTAP2_ERR_PIN_INVALID 0x31
#define CTAP2_ERR_PIN_BLOCKED 0x32
#define CTAP2_ERR_PIN_AUTH_INVALID 0x33
#define CTAP2_ERR_PIN_AUTH_BLOCKED 0x34
#define CTAP2_ERR_PIN_NOT_SET 0x35
#define CTAP2_ERR_PIN_REQUIRED 0x36
#define CTAP2_ERR_PIN_POLICY_VIOLATION 0x37
#define CTAP2_ERR_UNSUPPORTED_OPTION 0x2b
#define CTAP2_ERR_INVALID_OPTION 0x2c

#define PIN_RETRIES_MAX 8
#define CRED_ID_LEN 32

struct credential {
        uint8_t id[CRED_ID_LEN];
        uint8_t rp_id_hash[32];
        uint8_t cred_random_uv[32];
        uint8_t cred_random_no_uv[32];
        EVP_PKEY *key;
};

struct authenticator {
        const char *state_path;
        const char *deny_presence_path; /* while this file exists, presence is refused */
        bool pin_set;
        uint8_t pin_hash[16];           /* LEFT(SHA-256(PIN), 16) */
        int pin_retries;
        int pin_failures_in_row;        /* 3 in a row need a power cycle (pinAuthBlocked) */
        uint32_t sign_count;
        struct credential *creds;
        size_t n_creds;
        EVP_PKEY *key_agreement;        /* regenerated at power-up and after a wrong PIN */
        uint8_t pin_token[32];
        bool pin_token_valid;
};

/* state.c */
int state_load(struct authenticator *a);
int state_save(const struct authenticator *a);

/* cbor-util.c: lookups in a request map (integer or text keys) */
cbor_item_t *map_get_int(const cbor_item_t *map, int key);
cbor_item_t *map_get_str(const cbor_item_t *map, const char *key);
bool item_bytes(const cbor_item_t *it, const uint8_t **p, size_t *n);
bool item_int(const cbor_item_t *it, int64_t *v);
void map_put(cbor_item_t *map, cbor_item_t *key, cbor_item_t *value);
cbor_item_t *cose_p256_key(EVP_PKEY *pkey, int alg);
EVP_PKEY *cose_p256_parse(const cbor_item_t *cose);

/* pin.c: PIN/UV auth protocols 1 and 2 */
int pin_shared_secret(struct authenticator *a, int proto, const cbor_item_t *platform_key, uint8_t *out, size_t *out_len);
int pin_decrypt(int proto, const uint8_t *shared, const uint8_t *in, size_t n, uint8_t *out, size_t *out_len);
int pin_encrypt(int proto, const uint8_t *shared, const uint8_t *in, size_t n, uint8_t *out, size_t *out_len);
bool pin_verify(int proto, const uint8_t *key, size_t key_len, const uint8_t *msg, size_t n,
                const uint8_t *sig, size_t sig_len);
int ctap_client_pin(struct authenticator *a, const cbor_item_t *req, cbor_item_t **resp);
void key_agreement_regenerate(struct authenticator *a);

/* ctap2.c */
int ctap_get_info(struct authenticator *a, cbor_item_t **resp);
int ctap_make_credential(struct authenticator *a, const cbor_item_t *req, cbor_item_t **resp);
int ctap_get_assertion(struct authenticator *a, const cbor_item_t *req, cbor_item_t **resp);
bool presence_granted(const struct authenticator *a);
