/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The record parser on arbitrary bytes: it must reject or accept without
 * crashing, leaking or reading out of bounds, and whatever it accepts must
 * survive a round trip through YAML unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct user_record *r = NULL, *again = NULL;
        char *error = NULL, *yaml = NULL;

        if (user_record_from_yaml((const char *) data, size, "fuzz", &r, &error) < 0) {
                free(error);
                return 0;
        }
        if (user_record_to_yaml(r, &yaml) < 0)
                abort();
        if (user_record_from_yaml(yaml, strlen(yaml), "round trip", &again, &error) < 0 ||
            !user_record_equal(r, again))
                abort(); /* accepted once, must be accepted again, equal */
        user_record_free(again);
        user_record_free(r);
        free(yaml);
        return 0;
}
