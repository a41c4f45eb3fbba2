/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

/* A typed error for the caller (docs/protocol.md, Errors): the method's code
 * fills it where the failure is understood; the dispatcher turns it into the
 * error reply. The message is the one the user sees: what happened, what to do. */
struct agent_error {
        const char *name;              /* "io.homefs.Agent.BadCredentials", or NULL */
        char message[512];
        const char *parameter;         /* InvalidParameter: which one */
        uint64_t retry_after_usec;     /* RateLimited */
        const char *token_type;        /* PinNeeded, BadPin, PinLocked, TokenAbsent: "pkcs11", "fido2" */
        int retries_left;              /* BadPin: PIN tries left, if known (> 0) */
        bool final_try;                /* BadPin: the token says one try is left */
        bool user_presence;            /* PinNeeded: a touch will be needed too */
        int error;                     /* negative errno */
};

/* Fill e (first failure wins) and return r, so that callers can write
 * "return agent_error_set(e, r, AGENT_ERROR_FAILED, "...")". */
int agent_error_set(struct agent_error *e, int r, const char *name, const char *fmt, ...) _printf_(4, 5);

/* The error reply for e; a generic Failed reply if e was never filled. */
struct json_object *agent_error_reply(const struct agent_error *e, int r);

#define AGENT_ERROR(x) "io.homefs.Agent." x
#define AGENT_ERROR_PERMISSION AGENT_ERROR("PermissionDenied")
#define AGENT_ERROR_INVALID_PARAMETER AGENT_ERROR("InvalidParameter")
#define AGENT_ERROR_INVALID_RECORD AGENT_ERROR("InvalidRecord")
#define AGENT_ERROR_NO_SUCH_HOME AGENT_ERROR("NoSuchHome")
#define AGENT_ERROR_HOME_EXISTS AGENT_ERROR("HomeExists")
#define AGENT_ERROR_USER_EXISTS AGENT_ERROR("UserExists")
#define AGENT_ERROR_BAD_CREDENTIALS AGENT_ERROR("BadCredentials")
#define AGENT_ERROR_RATE_LIMITED AGENT_ERROR("RateLimited")
#define AGENT_ERROR_ACCOUNT_LOCKED AGENT_ERROR("AccountLocked")
#define AGENT_ERROR_IMAGE_MISSING AGENT_ERROR("ImageMissing")
#define AGENT_ERROR_HOME_BUSY AGENT_ERROR("HomeBusy")
#define AGENT_ERROR_FRONT_NOT_RUNNING AGENT_ERROR("FrontNotRunning")
#define AGENT_ERROR_ACCOUNT_EXPIRED AGENT_ERROR("AccountExpired")
#define AGENT_ERROR_HOME_LOCKED AGENT_ERROR("HomeLocked")
#define AGENT_ERROR_QUEUE_FULL AGENT_ERROR("QueueFull")
#define AGENT_ERROR_FAILED AGENT_ERROR("Failed")
#define AGENT_ERROR_PASSWORD_NEEDED AGENT_ERROR("PasswordNeeded")
#define AGENT_ERROR_PIN_NEEDED AGENT_ERROR("PinNeeded")
#define AGENT_ERROR_BAD_PIN AGENT_ERROR("BadPin")
#define AGENT_ERROR_PIN_LOCKED AGENT_ERROR("PinLocked")
#define AGENT_ERROR_TOKEN_ABSENT AGENT_ERROR("TokenAbsent")
#define AGENT_ERROR_PRESENCE_NEEDED AGENT_ERROR("UserPresenceNeeded")
#define AGENT_ERROR_PRESENCE_REFUSED AGENT_ERROR("UserPresenceRefused")
#define AGENT_ERROR_NO_CREDENTIAL AGENT_ERROR("NoSuchCredential")
#define AGENT_ERROR_LAST_CREDENTIAL AGENT_ERROR("LastCredential")
#define AGENT_ERROR_OVERCOMMIT AGENT_ERROR("Overcommit")
