/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "recovery-key.h"
#include "secret.h"
#include "tap.h"
#include "token.h"

/* The input as one printable line (a TAP line must not break). */
static const char *printable(const char *in, char *buf, size_t size) {
        size_t i = 0;

        for (; in[i] && i + 1 < size; i++)
                buf[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
        buf[i] = 0;
        return buf;
}

static void check_normalize(const char *in, const char *want) {
        char out[RECOVERY_KEY_LENGTH + 1] = "", shown[128];
        int r = recovery_key_normalize(in, out);

        printable(in, shown, sizeof(shown));
        if (want)
                tap_ok(r == 0 && strcmp(out, want) == 0, "normalize \"%s\" -> \"%s\" (got %d, \"%s\")", shown, want, r, out);
        else
                tap_ok(r == -EINVAL, "normalize \"%s\" is refused (got %d)", shown, r);
}

static void test_recovery_key(void) {
        static const char canon[] = "iefgcelh-biduvkjv-cjvuncnk-vlfchdid-jhtuhhde-urkllkeg-ilkjgbrt-hjkbgktj";
        unsigned char bytes[RECOVERY_KEY_BYTES];
        char out[RECOVERY_KEY_LENGTH + 1];
        char *key;

        /* modhex: 0..f is c b d e f g h i j k l n r t u v, high nibble first */
        for (size_t i = 0; i < sizeof(bytes); i++)
                bytes[i] = (unsigned char) (i * 0x11);
        recovery_key_format(bytes, out);
        tap_ok(strncmp(out, "ccbbddee-ffgghhii-", 18) == 0, "format: 00 11 22 ... in modhex (%s)", out);
        tap_ok(strlen(out) == 71 && out[8] == '-' && out[62] == '-', "format: 8 groups of 8, dashes between");

        check_normalize(canon, canon);
        check_normalize("IEFGCELH-BIDUVKJV-CJVUNCNK-VLFCHDID-JHTUHHDE-URKLLKEG-ILKJGBRT-HJKBGKTJ", canon);
        check_normalize("iefgcelhbiduvkjvcjvuncnkvlfchdidjhtuhhdeurkllkegilkjgbrthjkbgktj", canon);
        check_normalize("iefgcelh-biduvkjv-cjvuncnk-vlfchdid-jhtuhhde-urkllkeg-ilkjgbrt-hjkbgkta", NULL); /* 'a' */
        check_normalize("iefgcelhb-iduvkjv-cjvuncnk-vlfchdid-jhtuhhde-urkllkeg-ilkjgbrt-hjkbgkt", NULL); /* dash moved */
        check_normalize("iefgcelh-biduvkjv", NULL);
        check_normalize("", NULL);

        key = recovery_key_new();
        tap_ok(key && recovery_key_normalize(key, out) == 0 && strcmp(out, key) == 0, "a new key is canonical");
        secret_free(key);
}

static void check_b64(const char *plain, const char *want) {
        char *enc = base64_encode_secret(plain, strlen(plain));
        void *dec = NULL;
        size_t n = 0;

        tap_ok(enc && strcmp(enc, want) == 0, "base64(\"%s\") = \"%s\" (got \"%s\")", plain, want, enc ? enc : "(null)");
        if (want[0])
                tap_ok(base64_decode(want, &dec, &n) == 0 && n == strlen(plain) && memcmp(dec, plain, n) == 0,
                       "decode \"%s\" round trips", want);
        secret_free(enc);
        free(dec);
}

static void test_base64(void) {
        static const char *const bad[] = { "Zm9", "Zm9v\n", "Zm=v", "Z===", "Zm9v YmFy", "Zm9-", "=Zm9" };
        void *dec = NULL;
        size_t n;

        /* RFC 4648, section 10 */
        check_b64("", "");
        check_b64("f", "Zg==");
        check_b64("fo", "Zm8=");
        check_b64("foo", "Zm9v");
        check_b64("foob", "Zm9vYg==");
        check_b64("fooba", "Zm9vYmE=");
        check_b64("foobar", "Zm9vYmFy");
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int r = base64_decode(bad[i], &dec, &n);
                char shown[128];

                tap_ok(r == -EINVAL, "decode refuses \"%s\" (got %d)", printable(bad[i], shown, sizeof(shown)), r);
        }
}

static void test_token_json(void) {
        struct json_object *t = token_new("systemd-recovery", 3);

        tap_ok(strcmp(json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN),
                      "{\"type\":\"systemd-recovery\",\"keyslots\":[\"3\"]}") == 0,
               "token_new: systemd's keyslots as strings (%s)", json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN));
        tap_ok(strcmp(token_type(t), "systemd-recovery") == 0, "token_type");
        json_object_put(t);
}

int main(void) {
        test_recovery_key();
        test_base64();
        test_token_json();
        return tap_done();
}
