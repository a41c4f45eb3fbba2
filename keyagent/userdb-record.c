/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A homefs record as systemd's JSON user and group records, for the
 * io.systemd.UserDatabase service (userdb.c). Only fields whose name and type
 * are systemd's are carried over; the rest are homefs' own business. Fields
 * systemd keeps in the "privileged" section go there, and only to root. */

#include "accounts.h"
#include "userdb-record.h"

static void add_string(struct json_object *o, const char *key, const char *value) {
        if (value)
                json_object_object_add(o, key, json_object_new_string(value));
}

static void add_u64(struct json_object *o, const char *key, uint64_t value) {
        if (value)
                json_object_object_add(o, key, json_object_new_uint64(value));
}

static struct json_object *strv_to_json(char *const *l) {
        struct json_object *a = json_object_new_array();

        for (size_t i = 0; l && l[i]; i++)
                json_object_array_add(a, json_object_new_string(l[i]));
        return a;
}

struct json_object *userdb_user_json(const struct user_record *r, const char *login_shell, const char *service,
                                    bool privileged) {
        struct json_object *o = json_object_new_object();

        add_string(o, "userName", r->user_name);
        add_string(o, "realName", r->real_name);
        add_string(o, "emailAddress", r->email_address);
        json_object_object_add(o, "uid", json_object_new_uint64(r->uid));
        json_object_object_add(o, "gid", json_object_new_uint64(r->gid));
        add_string(o, "homeDirectory", r->home_directory);
        /* The login shell, as in passwd (the SSH stub by default), so that
         * nss-systemd and /etc/passwd agree; the stub execs r->shell. */
        add_string(o, "shell", accounts_passwd_shell(r, login_shell));
        add_string(o, "imagePath", r->image_path);
        add_u64(o, "diskSize", r->disk_size);
        json_object_object_add(o, "disposition", json_object_new_string("regular"));
        json_object_object_add(o, "service", json_object_new_string(service));
        json_object_object_add(o, "locked", json_object_new_boolean(r->locked));
        add_u64(o, "notBeforeUSec", r->not_before_usec);
        add_u64(o, "notAfterUSec", r->not_after_usec);
        add_u64(o, "lastChangeUSec", r->last_change_usec);
        add_u64(o, "lastPasswordChangeUSec", r->last_password_change_usec);
        add_u64(o, "rateLimitIntervalUSec", r->rate_limit_interval_usec);
        add_u64(o, "rateLimitBurst", r->rate_limit_burst);
        if (privileged) {
                struct json_object *p = json_object_new_object();

                if (r->ssh_authorized_keys)
                        json_object_object_add(p, "sshAuthorizedKeys", strv_to_json(r->ssh_authorized_keys));
                json_object_object_add(o, "privileged", p);
        }
        return o;
}

struct json_object *userdb_group_json(const struct user_record *r, const char *service) {
        struct json_object *o = json_object_new_object();

        /* Every homefs user has a group of their own name (accounts.c). */
        add_string(o, "groupName", r->user_name);
        json_object_object_add(o, "gid", json_object_new_uint64(r->gid));
        json_object_object_add(o, "disposition", json_object_new_string("regular"));
        json_object_object_add(o, "service", json_object_new_string(service));
        return o;
}
