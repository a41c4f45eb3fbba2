/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "home.h"

/* All homes the agent knows, loaded from $HOMEFS_STATE_DIR/records. Homes are
 * reference counted: registry_get() gives a reference that home_unref()
 * drops; a removed home stays valid until its last reference goes. */

/* Every home gets config, which must outlive the registry (main() owns it). */
int registry_load(const struct agent_config *config);

/* -ENOENT if there is no such home. */
int registry_get(const char *user_name, struct home **ret);
void home_unref(struct home *h);
static inline void home_unrefp(struct home **h) {
        home_unref(*h);
}

/* Add a new home for a record (taken over on success). -EEXIST if present. */
int registry_add(const struct agent_config *config, struct user_record *r, struct home **ret);

/* Forget a home (its files are the caller's business). */
void registry_remove(struct home *h);

/* A snapshot of all homes, each with a reference; free with registry_list_free. */
int registry_list(struct home ***ret, size_t *ret_n);
void registry_list_free(struct home **homes, size_t n);

/* The records directory fd ($HOMEFS_STATE_DIR/records, made if missing). */
int registry_records_fd(void);
