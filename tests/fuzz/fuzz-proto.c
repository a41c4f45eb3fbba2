/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The wire protocol parser on arbitrary bytes, then the typed getters the
 * agent uses on whatever parsed. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct json_object *msg = NULL, *params;
        unsigned long long u = 0;
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
        json_object_put(msg);
        return 0;
}
