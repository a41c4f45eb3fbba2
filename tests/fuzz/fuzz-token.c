/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The LUKS2 token JSON readers on arbitrary bytes: a token comes from the
 * image's header, which whoever had the disk may have written. */
#include <stdint.h>
#include <stdlib.h>

#include "token-parse.h"

#define DEPTH_MAX 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct json_tokener *tok;
        struct json_object *token;
        struct fido2_token f;
        struct ssh_agent_token st;
        EVP_PKEY *pkey = NULL;
        const char *uri = NULL;
        void *blob = NULL;
        size_t blob_size = 0;

        if (size > 65536)
                return 0;
        tok = json_tokener_new_ex(DEPTH_MAX);
        if (!tok)
                return 0;
        token = json_tokener_parse_ex(tok, (const char *) data, (int) size);
        json_tokener_free(tok);
        if (!token)
                return 0;

        (void) luks_token_keyslot(token);
        (void) fido2_token_parse(token, &f);
        fido2_token_clear(&f);
        if (pkcs11_token_parse(token, &uri, &blob, &blob_size) >= 0)
                free(blob);
        /* homefs-ssh-agent: the key as far as OpenSSL takes it */
        if (ssh_agent_token_parse(token, &st) >= 0 && ssh_pubkey_to_evp(&st.key, &pkey) >= 0)
                EVP_PKEY_free(pkey);
        ssh_agent_token_clear(&st);
        json_object_put(token);
        return 0;
}
