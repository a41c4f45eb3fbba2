/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "agent.h"
#include "home-ops.h"
#include "log.h"
#include "luks-token.h"
#include "luks.h"
#include "secret.h"
#include "token-fido2.h"
#include "token.h"

int home_list_credentials(struct home *h, struct json_object **ret, struct agent_error *e) {
        int r = luks_list_credentials(h->record->image_path, ret);

        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Cannot read the LUKS2 header of %s: %s.",
                                       h->record->image_path, strerror(-r));
        return 0;
}

/* The volume key, opened with an existing password (rate-limited). */
static int open_with_password(struct home *h, const char *password, void *key, size_t *key_size,
                              struct agent_error *e) {
        int r;

        if (!home_ratelimit_check(h, &e->retry_after_usec))
                return agent_error_set(e, -EAGAIN, AGENT_ERROR_RATE_LIMITED, "Too many failed attempts for %s; try again later.",
                                       h->user_name);
        r = luks_get_volume_key(h->record->image_path, password, key, key_size, NULL);
        if (r == -EPERM) {
                home_note_failed_attempt(h);
                return agent_error_set(e, r, AGENT_ERROR_BAD_CREDENTIALS, "Wrong password for %s.", h->user_name);
        }
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Cannot read the LUKS2 header of %s: %s.",
                                       h->record->image_path, strerror(-r));
        home_note_good_attempt(h);
        return 0;
}

int home_add_credentials(struct home *h, const char *password, const struct credential_spec *spec,
                         char **ret_recovery_key, struct agent_error *e) {
        _cleanup_secret_ void *key = secret_alloc(LUKS_VOLUME_KEY_MAX);
        size_t key_size = 0;
        int r;

        if (!key)
                return -ENOMEM;
        r = open_with_password(h, password, key, &key_size, e);
        if (r < 0)
                return r;
        if (spec->pkcs11_uri) {
                r = token_pkcs11_enroll(h->record->image_path, spec->pkcs11_uri, spec->pin, key, key_size, e);
                if (r < 0)
                        return r;
                log_info("%s: enrolled the PKCS#11 token %s", h->user_name, spec->pkcs11_uri);
        }
        if (spec->fido2_device) {
                struct fido2_options fo = {
                        .device = spec->fido2_device,
                        .with_client_pin = spec->fido2_with_client_pin,
                        .with_up = spec->fido2_with_up,
                        .with_uv = spec->fido2_with_uv,
                        .pin = spec->pin,
                };

                r = token_fido2_enroll(h->record->image_path, h->user_name, &fo, key, key_size, e);
                if (r < 0)
                        return r;
                log_info("%s: enrolled a FIDO2 security key", h->user_name);
        }
        if (spec->recovery_key) {
                r = token_recovery_enroll(h->record->image_path, h->record, key, key_size, ret_recovery_key, e);
                if (r < 0)
                        return r;
                log_info("%s: enrolled a recovery key", h->user_name);
        }
        return 0;
}

int home_remove_credential(struct home *h, int keyslot, struct agent_error *e) {
        int r = luks_credential_remove(h->record->image_path, keyslot);

        if (r == -ENOENT)
                return agent_error_set(e, r, AGENT_ERROR_NO_CREDENTIAL, "%s has no credential in keyslot %d.", h->user_name, keyslot);
        if (r == -EBUSY)
                return agent_error_set(e, r, AGENT_ERROR_LAST_CREDENTIAL,
                                       "Keyslot %d is the last credential of %s; add another one before removing it.",
                                       keyslot, h->user_name);
        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Removing keyslot %d of %s failed: %s.",
                                       keyslot, h->user_name, strerror(-r));
        log_info("%s: removed keyslot %d", h->user_name, keyslot);
        return 0;
}
