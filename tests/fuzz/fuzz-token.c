/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The LUKS2 token JSON on arbitrary bytes: a token comes from the image's
 * header, which whoever had the disk may have written. First the readers
 * alone (keyagent/token-parse.c), then the whole unlock-method table
 * (keyagent/unlock-methods.c) over the input as the header's token list,
 * with every kind of secret a caller may offer, on a fake device layer
 * (fake-device.c): the agent's real token code below it loads PKCS#11
 * modules (the configured one, this fuzzer itself, fails to load; p11-kit's
 * proxy loads), parses URIs, looks for FIDO2 devices, verifies an SSH
 * signature against homefs-ssh-agent tokens. Any header
 * content must give an answer, never a crash. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fake-device.h"
#include "home-ops.h"
#include "log.h"
#include "pkcs11.h"
#include "record.h"
#include "ssh-key.h"
#include "token-parse.h"
#include "unlock-methods.h"

#define DEPTH_MAX 16

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An SSH key offered with a signature that verifies for no token. */
static struct ssh_pubkey ssh_key;
static const uint8_t ssh_signature[] = "\0\0\0\x0bssh-ed25519\0\0\0\x40 not a signature, but 64 bytes long.........";

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        static const char modules[1][PATH_MAX] = { "/proc/self/exe" };
        const char *why = NULL;

        log_setup("fuzz-token", LOG_LEVEL_ERROR);
        /* A configured module that is no PKCS#11 module (this fuzzer, a PIE
         * executable: the dynamic loader refuses it), to take the failed-load
         * path; tokens reach it with module-path=/proc/self/exe (the seed
         * corpus/token/failed-load). */
        pkcs11_modules_init(modules, 1);
        if (ssh_pubkey_parse_line("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN5sgQYFxjeCxGu/GYeKQZ7V8JSk/uUoYCEdNISvZVgW fuzz",
                                  &ssh_key, &why) < 0)
                abort();
        return 0;
}

static void parsers(struct json_object *token) {
        struct fido2_token f;
        struct ssh_agent_token st;
        EVP_PKEY *pkey = NULL;
        const char *uri = NULL;
        void *blob = NULL;
        size_t blob_size = 0;

        (void) luks_token_keyslot(token);
        (void) fido2_token_parse(token, &f);
        fido2_token_clear(&f);
        if (pkcs11_token_parse(token, &uri, &blob, &blob_size) >= 0)
                free(blob);
        /* homefs-ssh-agent: the key as far as OpenSSL takes it */
        if (ssh_agent_token_parse(token, &st) >= 0 && ssh_pubkey_to_evp(&st.key, &pkey) >= 0)
                EVP_PKEY_free(pkey);
        ssh_agent_token_clear(&st);
}

static void unlock_table(struct json_object *token) {
        const struct unlock_secrets secrets[] = {
                {},
                { .pin = "123456" },
                { .password = "open sesame" },
                { .password = "wrong" },
                { .presence_told = true },
                { .ssh_key = &ssh_key, .ssh_signature = ssh_signature, .ssh_signature_len = sizeof(ssh_signature) - 1 },
        };
        struct user_record record = { .user_name = (char *) "fuzz", .image_path = (char *) "/nonexistent/fuzz.home" };
        static const struct agent_config config = {}; /* no --fido2-device: libfido2's discovery only */
        struct home h = { .user_name = (char *) "fuzz", .config = &config, .record = &record };
        unsigned char key[256];

        /* An object is one token, an array the whole list. */
        if (json_object_is_type(token, json_type_array))
                fake_tokens = json_object_get(token);
        else {
                fake_tokens = json_object_new_array();
                json_object_array_add(fake_tokens, json_object_get(token));
        }
        for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
                struct agent_error e = {};
                size_t key_size = 0;
                int r = unlock_methods_get_key(&h, &secrets[i], key, &key_size, NULL, &e);

                /* Every failure is typed for the caller. */
                if (r < 0 && !e.name)
                        abort();
                if (r >= 0 && (key_size == 0 || key_size > sizeof(key)))
                        abort();
                h.pkcs11_probe_usec = 0; /* no cache between inputs */
        }
        json_object_put(fake_tokens);
        fake_tokens = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct json_tokener *tok;
        struct json_object *token;

        if (size > 65536)
                return 0;
        tok = json_tokener_new_ex(DEPTH_MAX);
        if (!tok)
                return 0;
        token = json_tokener_parse_ex(tok, (const char *) data, (int) size);
        json_tokener_free(tok);
        if (!token)
                return 0;
        parsers(token);
        unlock_table(token);
        json_object_put(token);
        return 0;
}
