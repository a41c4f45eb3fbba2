/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The device's memory, so that it survives restarts: a small text file,
 * written to a temporary file and renamed. Lines:
 *   pin HEX16|-  retries N  count N
 *   cred ID RPHASH CREDRANDOM_UV CREDRANDOM_NO_UV PRIVATE_KEY_DER  (hex) */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soft-fido2.h"

static void put_hex(FILE *f, const uint8_t *p, size_t n) {
        fputc(' ', f);
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%02x", p[i]);
}

static bool get_hex(char **s, uint8_t *out, size_t n) {
        char *tok = strsep(s, " \n");
        long v;

        if (!tok || strlen(tok) != 2 * n)
                return false;
        for (size_t i = 0; i < n; i++) {
                char b[3] = { tok[2 * i], tok[2 * i + 1], 0 }, *end;

                v = strtol(b, &end, 16);
                if (*end)
                        return false;
                out[i] = (uint8_t) v;
        }
        return true;
}

int state_save(const struct authenticator *a) {
        char tmp[4096];
        FILE *f;

        snprintf(tmp, sizeof(tmp), "%s.tmp", a->state_path);
        f = fopen(tmp, "we");
        if (!f)
                return -errno;
        fprintf(f, "pin");
        if (a->pin_set)
                put_hex(f, a->pin_hash, 16);
        else
                fprintf(f, " -");
        fprintf(f, "\nretries %d\nfailures %d\ncount %u\n", a->pin_retries, a->pin_failures_in_row, a->sign_count);
        for (size_t i = 0; i < a->n_creds; i++) {
                const struct credential *c = &a->creds[i];
                unsigned char *der = NULL;
                int n = i2d_PrivateKey(c->key, &der);

                if (n <= 0)
                        continue;
                fprintf(f, "cred");
                put_hex(f, c->id, CRED_ID_LEN);
                put_hex(f, c->rp_id_hash, 32);
                put_hex(f, c->cred_random_uv, 32);
                put_hex(f, c->cred_random_no_uv, 32);
                fprintf(f, " %d", n);
                put_hex(f, der, (size_t) n);
                fputc('\n', f);
                OPENSSL_clear_free(der, (size_t) n);
        }
        if (fclose(f) != 0 || rename(tmp, a->state_path) < 0)
                return -errno;
        return 0;
}

static int load_cred(struct authenticator *a, char *s) {
        struct credential c = {};
        uint8_t der[512];
        const unsigned char *p = der;
        char *len_tok;
        long len;

        if (!get_hex(&s, c.id, CRED_ID_LEN) || !get_hex(&s, c.rp_id_hash, 32) || !get_hex(&s, c.cred_random_uv, 32) ||
            !get_hex(&s, c.cred_random_no_uv, 32))
                return -EINVAL;
        len_tok = strsep(&s, " ");
        len = len_tok ? strtol(len_tok, NULL, 10) : 0;
        if (len <= 0 || len > (long) sizeof(der) || !get_hex(&s, der, (size_t) len))
                return -EINVAL;
        c.key = d2i_AutoPrivateKey(NULL, &p, len);
        if (!c.key)
                return -EINVAL;
        a->creds = realloc(a->creds, (a->n_creds + 1) * sizeof(c));
        if (!a->creds)
                return -ENOMEM;
        a->creds[a->n_creds++] = c;
        return 0;
}

int state_load(struct authenticator *a) {
        char line[4096];
        FILE *f = fopen(a->state_path, "re");

        a->pin_retries = PIN_RETRIES_MAX;
        if (!f)
                return errno == ENOENT ? 0 : -errno;
        while (fgets(line, sizeof(line), f)) {
                char *s = line;

                if (strncmp(line, "pin -", 5) == 0)
                        a->pin_set = false;
                else if (strncmp(line, "pin ", 4) == 0) {
                        s += 4;
                        a->pin_set = get_hex(&s, a->pin_hash, 16);
                } else if (sscanf(line, "retries %d", &a->pin_retries) == 1 ||
                           sscanf(line, "failures %d", &a->pin_failures_in_row) == 1 ||
                           sscanf(line, "count %u", &a->sign_count) == 1)
                        continue;
                else if (strncmp(line, "cred ", 5) == 0 && load_cred(a, line + 5) < 0) {
                        fclose(f);
                        return -EINVAL;
                }
        }
        fclose(f);
        /* A power cycle clears the "three wrong in a row" block. */
        a->pin_failures_in_row = 0;
        return 0;
}
