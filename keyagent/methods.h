/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "call.h"

/* The agent's methods (docs/protocol.md), each "int method(struct call *c)"
 * (call.h); dispatch.c's table names them with who may call them. */

/* method-home.c */
int method_create(struct call *c);
int method_list(struct call *c);
int method_inspect(struct call *c);
int method_remove(struct call *c);
int method_passwd(struct call *c);
int method_authenticate(struct call *c);
int method_update(struct call *c);
int method_resize(struct call *c);

/* method-activation.c */
int method_unlock(struct call *c);
int method_activate(struct call *c);
int method_deactivate(struct call *c);
int method_lock(struct call *c);
int method_lock_all(struct call *c);

/* method-queue.c */
int method_enqueue(struct call *c);
int method_list_queue(struct call *c);
int method_clear_queue(struct call *c);

/* method-credentials.c */
int method_list_credentials(struct call *c);
int method_add_credentials(struct call *c);
int method_remove_credential(struct call *c);
int method_list_security_tokens(struct call *c);
int method_get_ssh_keys(struct call *c);
int method_get_ssh_unlock_challenges(struct call *c);

/* method-session.c */
int method_acquire_session(struct call *c);
int method_release_session(struct call *c);
int method_register_front(struct call *c);
