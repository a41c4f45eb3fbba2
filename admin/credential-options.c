/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "credential-options.h"
#include "escape.h"
#include "log.h"
#include "parse-args.h"
#include "secret.h"
#include "ssh-agent-unlock.h"
#include "ssh-keys.h"
#include "ssh-unlock.h"

int credential_option_recovery_key(struct options *o, const char *value) {
        bool b = true;

        if (value && parse_boolean(value, &b) < 0) {
                usage_error("invalid value '%s' for --recovery-key: expected yes or no", value);
                return -EINVAL;
        }
        o->credentials.recovery_key = b;
        return 0;
}

int credential_option_pkcs11(struct options *o, const char *value) {
        if (strncmp(value, "pkcs11:", 7) != 0 && !streq(value, "auto") && !streq(value, "list")) {
                usage_error("invalid value '%s' for --pkcs11-token-uri: expected a pkcs11: URI (RFC 7512), auto or list", value);
                return -EINVAL;
        }
        o->credentials.pkcs11_uri = value;
        return 0;
}

int credential_option_fido2_device(struct options *o, const char *value) {
        if (!streq(value, "auto") && !streq(value, "list") && value[0] != '/' && strncmp(value, "unix:/", 6) != 0) {
                usage_error("invalid value '%s' for --fido2-device: expected auto, a /dev/hidraw path or unix:/SOCKET", value);
                return -EINVAL;
        }
        o->credentials.fido2_device = value;
        return 0;
}

int credential_option_fido2_with(struct options *o, int which, const char *name, const char *value) {
        bool b;

        if (parse_boolean(value, &b) < 0) {
                usage_error("invalid value '%s' for --%s: expected yes or no", value, name);
                return -EINVAL;
        }
        o->credentials.fido2_with[which] = b;
        return 0;
}

bool credential_options_list_requested(const struct options *o) {
        return (o->credentials.pkcs11_uri && streq(o->credentials.pkcs11_uri, "list")) ||
               (o->credentials.fido2_device && streq(o->credentials.fido2_device, "list"));
}

static void print_tokens(const struct options *o, struct json_object *reply, const char *kind, const char *field) {
        struct json_object *arr;

        if (!json_object_object_get_ex(reply, kind, &arr) || !json_object_is_type(arr, json_type_array))
                return;
        if (json_object_array_length(arr) == 0 && !o->quiet)
                fprintf(stderr, "no %s security token found\n", streq(kind, "pkcs11") ? "PKCS#11" : "FIDO2");
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                struct json_object *e = json_object_array_get_idx(arr, i), *v;
                char buf[1024];

                /* Labels and URIs come from the device: escaped. */
                if (json_object_object_get_ex(e, field, &v))
                        printf("%s", escape_to(buf, sizeof(buf), json_object_get_string(v) ?: ""));
                if (json_object_object_get_ex(e, "keyType", &v))
                        printf("  (%s)", escape_to(buf, sizeof(buf), json_object_get_string(v) ?: ""));
                printf("\n");
        }
}

int credential_options_list(const struct options *o) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *reply = NULL;

        if (agent_run(NULL, AGENT_INTERFACE ".ListSecurityTokens", NULL, false, &reply, &e) < 0)
                return report_agent_error(&e, NULL);
        if (o->json != JSON_OFF)
                print_json(o, reply);
        else {
                if (o->credentials.pkcs11_uri && streq(o->credentials.pkcs11_uri, "list"))
                        print_tokens(o, reply, "pkcs11", "uri");
                if (o->credentials.fido2_device && streq(o->credentials.fido2_device, "list"))
                        print_tokens(o, reply, "fido2", "path");
        }
        json_object_put(reply);
        return EXIT_OK;
}

int credential_option_ssh_unlock_key(struct options *o, const char *value) {
        if (!value[0] || streq(value, "@"))
                return usage_error("--ssh-unlock-key needs a public key (\"ssh-ed25519 AAAA...\") or @FILE");
        if (!o->credentials.ssh_unlock_keys && !(o->credentials.ssh_unlock_keys = json_object_new_array()))
                return -ENOMEM;
        return ssh_keys_append(o->credentials.ssh_unlock_keys, value) < 0 ? -EINVAL : 0;
}

bool credential_options_any(const struct options *o) {
        return o->credentials.recovery_key || o->credentials.pkcs11_uri || o->credentials.fido2_device ||
               o->credentials.ssh_unlock_keys;
}

/* Wipe the signatures of sshUnlockKeys (they open keyslots) and drop it. */
static void wipe_signatures(struct json_object *ssh_keys) {
        struct json_object *w;

        if (!ssh_keys)
                return;
        w = json_object_new_object();
        if (w && json_object_object_add(w, "sshUnlockKeys", json_object_get(ssh_keys)) == 0)
                ssh_unlock_wipe_signatures(w);
        json_object_put(w);
        json_object_put(ssh_keys);
}

/* Have the ssh-agent sign each key's challenge (a fresh salt for each):
 * [{publicKey, salt, signature}] for AddCredentials. */
static int sign_ssh_unlock_keys(const struct options *o, const char *user, struct json_object **ret) {
        struct json_object *keys = o->credentials.ssh_unlock_keys, *arr;
        char why[512];

        *ret = NULL;
        if (!keys)
                return EXIT_OK;
        if (json_object_array_length(keys) == 0) {
                log_error("the file given to --ssh-unlock-key holds no key");
                return EXIT_FAIL;
        }
        arr = json_object_new_array();
        for (size_t i = 0; arr && i < json_object_array_length(keys); i++) {
                const char *line = json_object_get_string(json_object_array_get_idx(keys, i));
                struct json_object *entry = NULL;

                if (ssh_agent_enroll_sign(user, line, getenv("SSH_AUTH_SOCK"), &entry, why, sizeof(why)) < 0) {
                        log_error("cannot enroll the SSH key '%.60s': %s", line, why);
                        wipe_signatures(arr);
                        return EXIT_FAIL;
                }
                json_object_array_add(arr, entry);
        }
        if (!arr) {
                log_error("out of memory");
                return EXIT_FAIL;
        }
        *ret = arr;
        return EXIT_OK;
}

static struct json_object *add_params(const struct options *o, const char *user, const char *password, const char *pin,
                                     struct json_object *ssh_keys) {
        struct json_object *p = user_params(user);

        if (!p)
                return NULL;
        if (ssh_keys)
                json_object_object_add(p, "sshUnlockKeys", json_object_get(ssh_keys));
        json_object_object_add(p, "password", json_object_new_string(password));
        if (o->credentials.recovery_key)
                json_object_object_add(p, "recoveryKey", json_object_new_boolean(true));
        if (o->credentials.pkcs11_uri)
                json_object_object_add(p, "pkcs11TokenUri", json_object_new_string(o->credentials.pkcs11_uri));
        if (o->credentials.fido2_device) {
                static const char *const with[3] = { "fido2WithClientPin", "fido2WithUserPresence", "fido2WithUserVerification" };

                json_object_object_add(p, "fido2Device", json_object_new_string(o->credentials.fido2_device));
                for (int i = 0; i < 3; i++)
                        if (o->credentials.fido2_with[i] >= 0)
                                json_object_object_add(p, with[i], json_object_new_boolean(o->credentials.fido2_with[i]));
        }
        if (pin)
                json_object_object_add(p, "pin", json_object_new_string(pin));
        return p;
}

static void print_recovery_key(const char *user, const char *key) {
        if (isatty(STDOUT_FILENO))
                printf("A recovery key for %s (shown only this once; write it down and keep it safe):\n\n"
                       "        %s\n\n", user, key);
        else
                printf("%s\n", key);
}

/* A token's PIN, from the terminal or standard input (never from
 * --password-file, which holds passwords). */
static int ask_pin(const struct options *o, char **ret) {
        struct password_source src;
        int r;

        r = password_source_open(&src, NULL);
        if (r >= 0) {
                if (o->credentials.fido2_device)
                        fprintf(stderr, "Touch your security key when it blinks, after the PIN.\n");
                r = password_source_read(&src, "Security token PIN: ", ret);
                password_source_close(&src);
        }
        return r < 0 ? report_password_error(r, o) : EXIT_OK;
}

/* AddCredentials, asking for the token's PIN if it wants one to enroll. */
static int enroll(struct proto_conn *conn, const struct options *o, const char *user, const char *password,
                  struct json_object *ssh_keys, struct json_object **reply, struct agent_error *e) {
        _cleanup_secret_ char *pin = NULL;
        struct json_object *params;
        int r;

        for (;;) {
                params = add_params(o, user, password, pin, ssh_keys);
                if (!params)
                        return -ENOMEM;
                r = agent_run(conn, AGENT_INTERFACE ".AddCredentials", params, true, reply, e);
                if (r != -ENOANO || pin)
                        return r;
                /* The token wants its PIN to enroll. */
                if (ask_pin(o, &pin) != EXIT_OK)
                        return -ECANCELED;
                agent_error_clear(e);
        }
}

int credential_options_enroll(struct proto_conn *conn, const struct options *o, const char *user,
                              const char *password) {
        _cleanup_agent_error_ struct agent_error e = {};
        struct json_object *reply = NULL, *ssh_keys = NULL;
        const char *key;
        int r;

        r = sign_ssh_unlock_keys(o, user, &ssh_keys);
        if (r != EXIT_OK)
                return r;
        r = enroll(conn, o, user, password, ssh_keys, &reply, &e);
        wipe_signatures(ssh_keys);
        if (r == -ECANCELED)
                return EXIT_FAIL;
        if (r == -ENOMEM && e.origin == AGENT_ERROR_NONE) {
                log_error("out of memory");
                return EXIT_FAIL;
        }
        if (r < 0)
                return report_agent_error(&e, user);
        if (proto_get_string(reply, "recoveryKey", PROTO_MESSAGE_MAX, &key) == 0) {
                print_recovery_key(user, key);
                proto_wipe_string(reply, "recoveryKey");
        }
        json_object_put(reply);
        return EXIT_OK;
}
