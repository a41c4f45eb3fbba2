/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The wire protocol parser on arbitrary bytes, then the typed getters and
 * proto_dispatch() (every type, a bound on each, a nested table as the
 * agent's sshAgentSignature and sshUnlockKeys use) on whatever parsed. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "proto-dispatch.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct key {
        const char *public_key, *signature;
};

static const struct proto_field key_fields[] = {
        { "publicKey", PROTO_STRING, offsetof(struct key, public_key), PROTO_REQUIRED, 1024 },
        { "signature", PROTO_STRING, offsetof(struct key, signature), PROTO_REQUIRED, 1024 },
        {}
};

static int check_keys(struct json_object *v, void *dest) {
        for (size_t i = 0; i < json_object_array_length(v); i++) {
                struct key k = {};

                if (proto_dispatch(json_object_array_get_idx(v, i), key_fields, &k, NULL) < 0)
                        return -1;
        }
        *(struct json_object **) dest = v;
        return 0;
}

struct params {
        const char *user_name, *password, *pin;
        bool force;
        uint64_t percent, any_size;
        struct json_object *record, *argv, *keys, *offer;
};

static const struct proto_field fields[] = {
        { "userName", PROTO_STRING, offsetof(struct params, user_name), PROTO_REQUIRED, 64 },
        { "password", PROTO_STRING, offsetof(struct params, password), 0, 1024 },
        { "pin", PROTO_STRING, offsetof(struct params, pin), PROTO_EMPTY_IS_ABSENT, 1024 },
        { "force", PROTO_BOOL, offsetof(struct params, force) },
        { "diskSizePercent", PROTO_U64, offsetof(struct params, percent), 0, 100 },
        { "diskSize", PROTO_U64, offsetof(struct params, any_size) },
        { "record", PROTO_OBJECT, offsetof(struct params, record) },
        { "argv", PROTO_ANY, offsetof(struct params, argv) },
        { "sshUnlockKeys", PROTO_ARRAY, offsetof(struct params, keys), 0, 16, check_keys },
        { "sshAgentSignature", PROTO_OBJECT, offsetof(struct params, offer) },
        {}
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct json_object *msg = NULL, *params;
        unsigned long long u = 0;
        struct params p = {};
        const char *s = NULL;
        bool b = false;

        if (proto_parse((const char *) data, size, &msg) < 0)
                return 0;
        (void) proto_method(msg);
        (void) proto_error(msg);
        params = proto_parameters(msg);
        (void) proto_get_string(params, "userName", 256, &s);
        (void) proto_get_string(params, "password", 4096, &s);
        (void) proto_get_string(params, "message", PROTO_MESSAGE_MAX, &s);
        (void) proto_get_bool(params, "force", &b);
        (void) proto_get_u64(params, "diskSizePercent", &u);
        if (proto_dispatch(params, fields, &p, &s) == 0) {
                struct key k = {};

                /* What was stored must be what the table promised. */
                if (!p.user_name || (p.pin && !p.pin[0]) || p.percent > 100 ||
                    (p.keys && json_object_array_length(p.keys) > 16) ||
                    (p.record && !json_object_is_type(p.record, json_type_object)))
                        abort();
                if (p.offer)
                        (void) proto_dispatch(p.offer, key_fields, &k, NULL);
        }
        json_object_put(msg);
        return 0;
}
