/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "home-ops.h"
#include "home-paths.h"
#include "log.h"
#include "registry.h"
#include "schema.h"
#include "time-util.h"

/* Check one change: the field exists and the schema lets it change. */
static int update_check_field(const char *name, struct agent_error *e) {
        int k = schema_field_changeable(name);

        if (k == -ENOENT)
                return agent_error_set(e, -EINVAL, AGENT_ERROR_INVALID_RECORD,
                                       "There is no record field '%s'; see homefsctl(1) for the fields 'update' can change.", name);
        if (k < 0)
                return agent_error_set(e, k, AGENT_ERROR_FAILED, "The user record schema is not available.");
        if (k == 0)
                return agent_error_set(e, -EPERM, AGENT_ERROR_INVALID_RECORD,
                                       "The field '%s' is read-only: it is fixed when the home is created.", name);
        return 0;
}

/* Apply the changes to a copy of the record, so that a bad value leaves the
 * home untouched; then stamp, validate and save it, and only then swap. */
int home_update(struct home *h, struct json_object *changes, struct agent_error *e) {
        _cleanup_record_ struct user_record *copy = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        struct json_object *current = user_record_to_json(h->record);

        if (!current)
                return -ENOMEM;
        r = user_record_from_json(current, "record", &copy, &error);
        json_object_put(current);
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "The stored record of %s is unreadable.", h->user_name);
        json_object_object_foreach(changes, name, value) {
                r = update_check_field(name, e);
                if (r < 0)
                        return r;
                r = user_record_set_field(copy, name, json_object_is_type(value, json_type_null) ? NULL : value,
                                          "update", &error);
                if (r < 0)
                        return agent_error_set(e, -EINVAL, AGENT_ERROR_INVALID_RECORD, "%s.", error ? error : "invalid value");
        }
        copy->last_change_usec = now_usec();
        r = user_record_validate(copy, &error);
        if (r < 0)
                return agent_error_set(e, -EINVAL, AGENT_ERROR_INVALID_RECORD, "%s.", error ? error : "invalid record");
        r = home_paths_check(copy, e);
        if (r < 0)
                return r;
        /* passwd first (the record is the truth, but passwd is what login
         * and sshd read): if usermod fails nothing has changed; if saving
         * the record fails, passwd goes back to the old record's values. */
        r = accounts_sync(copy, h->config->login_shell, NULL);
        if (r < 0 && r != -ENOENT)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Changing the passwd entry of %s failed: %s.",
                                       h->user_name, strerror(-r));
        r = user_record_save(registry_records_fd(), copy);
        if (r < 0) {
                (void) accounts_sync(h->record, h->config->login_shell, NULL);
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Saving the record of %s failed: %s.",
                                       h->user_name, strerror(-r));
        }
        user_record_free(h->record);
        h->record = TAKE_PTR(copy);
        log_info("updated the record of %s", h->user_name);
        return 0;
}
