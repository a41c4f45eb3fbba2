/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "token.h"

const char *token_type(struct json_object *token) {
        struct json_object *v;

        if (json_object_object_get_ex(token, "type", &v) && json_object_is_type(v, json_type_string))
                return json_object_get_string(v);
        return "";
}

struct json_object *token_new(const char *type, int keyslot) {
        struct json_object *t = json_object_new_object(), *slots = json_object_new_array();
        char s[16];

        snprintf(s, sizeof(s), "%d", keyslot);
        json_object_array_add(slots, json_object_new_string(s));
        json_object_object_add(t, "type", json_object_new_string(type));
        json_object_object_add(t, "keyslots", slots);
        return t;
}
