/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "home-ops.h"
#include "log.h"
#include "macro.h"
#include "registry.h"
#include "schema.h"
#include "luks-token.h"
#include "luks.h"
#include "secret.h"
#include "time-util.h"
#include "token-fido2.h"
#include "token.h"

int home_list_credentials(struct home *h, struct json_object **ret, struct agent_error *e) {
        int r = luks_list_credentials(h->record->image_path, ret);

        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Cannot read the LUKS2 header of %s: %s.",
                                       h->record->image_path, strerror(-r));
        return 0;
}

/* Would the record's schema take value as the only item of field? The
 * strings come from the image's header: input, checked before use. */
static bool item_is_valid(const char *field, const char *value) {
        const struct schema *schema;
        struct json_object *one = json_object_new_array();
        _cleanup_free_ char *error = NULL;
        bool ok;

        if (!one || schema_get(&schema) < 0) {
                json_object_put(one);
                return false;
        }
        json_object_array_add(one, json_object_new_string(value));
        ok = schema_validate_property(schema, field, one, "image header", 0, &error) >= 0;
        json_object_put(one);
        if (!ok)
                log_warning("a token in the image header does not fit the record: %s", error ? error : field);
        return ok;
}

/* The string member key of every token of type in tokens, as the list for
 * the record's field (NULL when none). Members the schema would refuse are
 * skipped. */
static int token_field_list(struct json_object *tokens, const char *type, const char *key, const char *field,
                            char ***ret) {
        size_t n = 0, len = json_object_array_length(tokens);
        char **l = calloc(len + 1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < len; i++) {
                struct json_object *t = json_object_array_get_idx(tokens, i), *v;

                if (!streq(token_type(t), type) || !json_object_object_get_ex(t, key, &v) ||
                    !json_object_is_type(v, json_type_string) || !item_is_valid(field, json_object_get_string(v)))
                        continue;
                l[n] = strdup(json_object_get_string(v));
                if (!l[n]) {
                        strv_free(l);
                        return -ENOMEM;
                }
                n++;
        }
        if (n == 0) {
                free(l);
                l = NULL;
        }
        *ret = l;
        return 0;
}

/* The record lists the enrolled smartcard keys and FIDO2 credentials
 * (pkcs11TokenUri, fido2HmacCredential, as systemd's records do); the image's
 * header is the truth, so the lists are rebuilt from it after every change. */
static void sync_record(struct home *h) {
        struct json_object *tokens = NULL;
        char **uris = NULL, **creds = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = luks_tokens_list(h->record->image_path, &tokens);
        if (r >= 0)
                r = token_field_list(tokens, "systemd-pkcs11", "pkcs11-uri", "pkcs11TokenUri", &uris);
        if (r >= 0)
                r = token_field_list(tokens, "systemd-fido2", "fido2-credential", "fido2HmacCredential", &creds);
        json_object_put(tokens);
        if (r < 0) {
                strv_free(uris);
                log_warning_errno(r, "%s: cannot list the tokens for the record: %m", h->user_name);
                return;
        }
        strv_free(h->record->pkcs11_token_uri);
        strv_free(h->record->fido2_hmac_credential);
        h->record->pkcs11_token_uri = uris;
        h->record->fido2_hmac_credential = creds;
        h->record->last_change_usec = now_usec();
        r = user_record_validate(h->record, &error);
        if (r >= 0)
                r = user_record_save(registry_records_fd(), h->record);
        if (r < 0)
                log_warning("%s: the credentials changed, but the record could not be saved: %s",
                            h->user_name, error ? error : strerror(-r));
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

static int add_credentials(struct home *h, const char *password, const struct credential_spec *spec,
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

                r = token_fido2_enroll(h->config, h->record->image_path, h->user_name, &fo, key, key_size, e);
                if (r < 0)
                        return r;
                log_info("%s: enrolled a FIDO2 security key", h->user_name);
        }
        for (size_t i = 0; spec->ssh_unlock_keys && i < json_object_array_length(spec->ssh_unlock_keys); i++) {
                struct json_object *k = json_object_array_get_idx(spec->ssh_unlock_keys, i);
                const char *line = NULL, *salt = NULL, *sig = NULL;

                /* dispatch.c checked the members */
                (void) proto_get_string(k, "publicKey", PROTO_MESSAGE_MAX, &line);
                (void) proto_get_string(k, "salt", PROTO_MESSAGE_MAX, &salt);
                (void) proto_get_string(k, "signature", PROTO_MESSAGE_MAX, &sig);
                r = token_ssh_agent_enroll(h->record->image_path, h->user_name, line, salt, sig, key, key_size, e);
                if (r < 0)
                        return r;
                log_info("%s: enrolled an SSH agent key", h->user_name);
        }
        if (spec->recovery_key) {
                r = token_recovery_enroll(h->record->image_path, h->record, key, key_size, ret_recovery_key, e);
                if (r < 0)
                        return r;
                log_info("%s: enrolled a recovery key", h->user_name);
        }
        return 0;
}

int home_add_credentials(struct home *h, const char *password, const struct credential_spec *spec,
                         char **ret_recovery_key, struct agent_error *e) {
        int r = add_credentials(h, password, spec, ret_recovery_key, e);

        /* Also after a partial failure: what was enrolled is in the header. */
        sync_record(h);
        return r;
}

int home_ssh_unlock_challenges(struct home *h, struct json_object **ret, struct agent_error *e) {
        int r = token_ssh_agent_challenges(h->record->image_path, h->user_name, ret);

        if (r < 0)
                return agent_error_set(e, r, AGENT_ERROR_FAILED, "Cannot read the LUKS2 header of %s: %s.",
                                       h->record->image_path, strerror(-r));
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
        sync_record(h);
        return 0;
}
