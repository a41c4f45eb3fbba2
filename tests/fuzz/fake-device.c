/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The device layer under the unlock-method table, faked for fuzz-token: the
 * image's header is the fuzzer's input (fake_tokens), and a keyslot opens
 * only with the passphrase "open sesame". Everything above it is the agent's
 * real code: the method table, the token parsers, p11-kit's URI parser,
 * libp11 with the configured modules, libfido2's device discovery. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "fake-device.h"
#include "home-ops.h"
#include "luks-token.h"
#include "luks.h"
#include "time-util.h"
#include "token.h"

struct json_object *fake_tokens;

int luks_tokens_list(const char *image_path, struct json_object **ret) {
        if (!fake_tokens || !json_object_is_type(fake_tokens, json_type_array))
                return -EBADMSG;
        *ret = json_object_get(fake_tokens);
        return 0;
}

int luks_get_volume_key_slot(const char *image_path, int keyslot, const char *passphrase, void *key, size_t *key_size,
                             struct luks_geometry *geo) {
        if (keyslot < -1 || keyslot >= 32)
                return -EINVAL;
        if (strcmp(passphrase, "open sesame") != 0)
                return -EPERM;
        memset(key, 0x5a, 64);
        *key_size = 64;
        if (geo)
                *geo = (struct luks_geometry) {};
        return 0;
}

int token_enroll(const char *image_path, const void *vk, size_t vk_size, const char *passphrase,
                 const struct user_record *pbkdf_from, const char *type, struct json_object *fields,
                 struct agent_error *e) {
        json_object_put(fields);
        return -EOPNOTSUPP;
}

unsigned fake_failed_attempts, fake_good_attempts;

void home_note_failed_attempt(struct home *h) {
        fake_failed_attempts++;
}

void home_note_good_attempt(struct home *h) {
        fake_good_attempts++;
}
