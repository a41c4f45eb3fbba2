/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The job queue of a home (run-when-unlocked): Enqueue, ListQueue,
 * ClearQueue (docs/protocol.md, Methods; spool.c). */
#include <errno.h>
#include <stddef.h>

#include "call.h"
#include "methods.h"
#include "spool.h"

/* Queue argv for the next unlock. The caller checked the state; the agent
 * queues whatever the state. */
int method_enqueue(struct call *c) {
        struct params {
                struct json_object *argv;
        } p = {};
        /* Any type: spool_check_argv() judges it, with a message of its own. */
        static const struct proto_field fields[] = {
                { "argv", PROTO_ANY, offsetof(struct params, argv) },
                {}
        };
        _cleanup_home_ struct home *h = NULL;
        uint64_t id = 0;
        int r;

        if ((r = call_params(c, fields, &p)) < 0)
                return r;
        if (spool_check_argv(p.argv) < 0)
                return agent_error_set(&c->error, -EINVAL, AGENT_ERROR_INVALID_PARAMETER,
                                       "The command must be 1 to %u arguments of at most %u bytes in all.",
                                       SPOOL_ARGS_MAX, SPOOL_JOB_MAX);
        if ((r = call_home_acquire(c, &h)) < 0)
                return r;
        r = spool_add(h->user_name, h->record->uid, p.argv, &id);
        if (r == -EDQUOT)
                return agent_error_set(&c->error, r, AGENT_ERROR_QUEUE_FULL,
                                       "The job queue of this home is full (%u jobs); see 'homefsctl queue'.", SPOOL_JOBS_MAX);
        if (r < 0)
                return r;
        return call_reply_one(c, "id", json_object_new_uint64(id));
}

int method_list_queue(struct call *c) {
        _cleanup_home_ struct home *h = NULL;
        struct json_object *jobs = NULL;
        int r;

        if ((r = call_home_acquire(c, &h)) < 0 || (r = spool_list(h->user_name, &jobs)) < 0)
                return r;
        return call_reply_one(c, "jobs", jobs);
}

int method_clear_queue(struct call *c) {
        _cleanup_home_ struct home *h = NULL;
        unsigned n = 0;
        int r;

        if ((r = call_home_acquire(c, &h)) < 0 || (r = spool_clear(h->user_name, &n)) < 0)
                return r;
        return call_reply_one(c, "removed", json_object_new_int((int) n));
}
