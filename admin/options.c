/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "credential-options.h"
#include "log.h"
#include "options.h"
#include "parse-args.h"
#include "size.h"
#include "ssh-keys.h"

enum {
        ARG_VERSION = 0x100,
        ARG_JSON,
        ARG_NO_PAGER,
        ARG_NO_LEGEND,
        ARG_FORCE,
        ARG_PASSWORD_FILE,
        ARG_RECOVERY_KEY,
        ARG_PKCS11_TOKEN_URI,
        ARG_FIDO2_DEVICE,
        ARG_FIDO2_WITH_CLIENT_PIN,
        ARG_FIDO2_WITH_USER_PRESENCE,
        ARG_FIDO2_WITH_USER_VERIFICATION,
        ARG_IDENTITY,
        ARG_EXPORT,
        ARG_DROP_IF_LOCKED,
        ARG_DEACTIVATE_UNFROZEN,
        ARG_CLEAR,
        ARG_ALLOW_OVERCOMMIT,
        ARG_SSH_UNLOCK_KEY,
        ARG_SSH_AGENT,
        ARG_NO_ASK_PASSWORD,
        ARG_ENFORCE_PASSWORD_POLICY,
        ARG_TYPE,
        /* create only, from here on */
        ARG_CREATE_FIRST,
        ARG_EMAIL_ADDRESS = ARG_CREATE_FIRST,
        ARG_STORAGE,
        ARG_DISK_SIZE,
        ARG_IMAGE_PATH,
        ARG_LUKS_PBKDF_TYPE,
        ARG_LUKS_PBKDF_HASH_ALGORITHM,
        ARG_LUKS_PBKDF_FORCE_ITERATIONS,
        ARG_LUKS_PBKDF_TIME_COST,
        ARG_LUKS_PBKDF_MEMORY_COST,
        ARG_LUKS_PBKDF_PARALLEL_THREADS,
        ARG_LUKS_DISCARD,
        ARG_LUKS_SECTOR_SIZE,
        ARG_SSH_AUTHORIZED_KEYS,
        ARG_LOCKED,
        ARG_RATE_LIMIT_INTERVAL,
        ARG_RATE_LIMIT_BURST,
        ARG_NOT_BEFORE,
        ARG_NOT_AFTER,
        ARG_KEEP_UNLOCKED_AFTER_LOGOUT,
        ARG_LUKS_CIPHER,
        ARG_LUKS_CIPHER_MODE,
        ARG_LUKS_VOLUME_KEY_SIZE,
};

static const struct option long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, ARG_VERSION },
        { "json", required_argument, NULL, ARG_JSON },
        { "no-ask-password", no_argument, NULL, ARG_NO_ASK_PASSWORD },
        { "enforce-password-policy", required_argument, NULL, ARG_ENFORCE_PASSWORD_POLICY },
        { "type", required_argument, NULL, ARG_TYPE },
        { "quiet", no_argument, NULL, 'q' },
        { "no-pager", no_argument, NULL, ARG_NO_PAGER },
        { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
        { "force", no_argument, NULL, ARG_FORCE },
        { "password-file", required_argument, NULL, ARG_PASSWORD_FILE },
        { "recovery-key", optional_argument, NULL, ARG_RECOVERY_KEY },
        { "pkcs11-token-uri", required_argument, NULL, ARG_PKCS11_TOKEN_URI },
        { "fido2-device", required_argument, NULL, ARG_FIDO2_DEVICE },
        { "fido2-with-client-pin", required_argument, NULL, ARG_FIDO2_WITH_CLIENT_PIN },
        { "fido2-with-user-presence", required_argument, NULL, ARG_FIDO2_WITH_USER_PRESENCE },
        { "fido2-with-user-verification", required_argument, NULL, ARG_FIDO2_WITH_USER_VERIFICATION },
        { "identity", required_argument, NULL, ARG_IDENTITY },
        { "export", no_argument, NULL, ARG_EXPORT },
        { "drop-if-locked", no_argument, NULL, ARG_DROP_IF_LOCKED },
        { "deactivate-unfrozen", no_argument, NULL, ARG_DEACTIVATE_UNFROZEN },
        { "allow-overcommit", no_argument, NULL, ARG_ALLOW_OVERCOMMIT },
        { "clear", no_argument, NULL, ARG_CLEAR },
        { "ssh-unlock-key", required_argument, NULL, ARG_SSH_UNLOCK_KEY },
        { "ssh-agent", no_argument, NULL, ARG_SSH_AGENT },
        { "real-name", required_argument, NULL, 'c' },
        { "email-address", required_argument, NULL, ARG_EMAIL_ADDRESS },
        { "uid", required_argument, NULL, 'u' },
        { "shell", required_argument, NULL, 's' },
        { "home-dir", required_argument, NULL, 'd' },
        { "image-path", required_argument, NULL, ARG_IMAGE_PATH },
        { "storage", required_argument, NULL, ARG_STORAGE },
        { "disk-size", required_argument, NULL, ARG_DISK_SIZE },
        { "luks-pbkdf-type", required_argument, NULL, ARG_LUKS_PBKDF_TYPE },
        { "luks-pbkdf-hash-algorithm", required_argument, NULL, ARG_LUKS_PBKDF_HASH_ALGORITHM },
        { "luks-pbkdf-force-iterations", required_argument, NULL, ARG_LUKS_PBKDF_FORCE_ITERATIONS },
        { "luks-pbkdf-time-cost", required_argument, NULL, ARG_LUKS_PBKDF_TIME_COST },
        { "luks-pbkdf-memory-cost", required_argument, NULL, ARG_LUKS_PBKDF_MEMORY_COST },
        { "luks-pbkdf-parallel-threads", required_argument, NULL, ARG_LUKS_PBKDF_PARALLEL_THREADS },
        { "luks-discard", required_argument, NULL, ARG_LUKS_DISCARD },
        { "luks-sector-size", required_argument, NULL, ARG_LUKS_SECTOR_SIZE },
        { "ssh-authorized-keys", required_argument, NULL, ARG_SSH_AUTHORIZED_KEYS },
        { "locked", required_argument, NULL, ARG_LOCKED },
        { "rate-limit-interval", required_argument, NULL, ARG_RATE_LIMIT_INTERVAL },
        { "rate-limit-burst", required_argument, NULL, ARG_RATE_LIMIT_BURST },
        { "not-before", required_argument, NULL, ARG_NOT_BEFORE },
        { "not-after", required_argument, NULL, ARG_NOT_AFTER },
        { "keep-unlocked-after-logout", required_argument, NULL, ARG_KEEP_UNLOCKED_AFTER_LOGOUT },
        { "luks-cipher", required_argument, NULL, ARG_LUKS_CIPHER },
        { "luks-cipher-mode", required_argument, NULL, ARG_LUKS_CIPHER_MODE },
        { "luks-volume-key-size", required_argument, NULL, ARG_LUKS_VOLUME_KEY_SIZE },
        {}
};

/* The record field each create option sets. */
static const struct {
        int option;
        const char *field;
} record_fields[] = {
        { 'c', "realName" },
        { ARG_EMAIL_ADDRESS, "emailAddress" },
        { 'u', "uid" },
        { 's', "shell" },
        { 'd', "homeDirectory" },
        { ARG_IMAGE_PATH, "imagePath" },
        { ARG_STORAGE, "storage" },
        { ARG_DISK_SIZE, "diskSize" },
        { ARG_LUKS_PBKDF_TYPE, "luksPbkdfType" },
        { ARG_LUKS_PBKDF_HASH_ALGORITHM, "luksPbkdfHashAlgorithm" },
        { ARG_LUKS_PBKDF_FORCE_ITERATIONS, "luksPbkdfForceIterations" },
        { ARG_LUKS_PBKDF_TIME_COST, "luksPbkdfTimeCostUSec" },
        { ARG_LUKS_PBKDF_MEMORY_COST, "luksPbkdfMemoryCost" },
        { ARG_LUKS_PBKDF_PARALLEL_THREADS, "luksPbkdfParallelThreads" },
        { ARG_LUKS_DISCARD, "luksDiscard" },
        { ARG_LUKS_SECTOR_SIZE, "luksSectorSize" },
        { ARG_LOCKED, "locked" },
        { ARG_RATE_LIMIT_INTERVAL, "rateLimitIntervalUSec" },
        { ARG_RATE_LIMIT_BURST, "rateLimitBurst" },
        { ARG_NOT_BEFORE, "notBeforeUSec" },
        { ARG_NOT_AFTER, "notAfterUSec" },
        { ARG_KEEP_UNLOCKED_AFTER_LOGOUT, "keepUnlockedAfterLogout" },
        { ARG_LUKS_CIPHER, "luksCipher" },
        { ARG_LUKS_CIPHER_MODE, "luksCipherMode" },
        { ARG_LUKS_VOLUME_KEY_SIZE, "luksVolumeKeySize" },
};

static bool is_create_option(int c) {
        return c == 'c' || c == 'u' || c == 's' || c == 'd' || c >= ARG_CREATE_FIRST;
}

static const char *field_of(int c) {
        for (size_t i = 0; i < ELEMENTSOF(record_fields); i++)
                if (record_fields[i].option == c)
                        return record_fields[i].field;
        return NULL;
}

static const char *option_name(int c) {
        for (const struct option *l = long_options; l->name; l++)
                if (l->val == c)
                        return l->name;
        return "?";
}

static int bad_value(int c, const char *value, const char *what) {
        usage_error("invalid value '%s' for --%s: %s", value, option_name(c), what);
        return -EINVAL;
}

/* --disk-size: a size in bytes, or a percentage of the free space, which
 * goes to Create as diskSizePercent instead of into the record. */
static int parse_disk_size(struct options *o, const char *value, struct json_object **ret) {
        size_t n = strlen(value);
        uint64_t bytes;
        unsigned pct;

        if (n > 0 && value[n - 1] == '%') {
                if (parse_percent(value, &pct) < 0)
                        return bad_value(ARG_DISK_SIZE, value, "expected a percentage from 1% to 100%");
                o->disk_size_percent = pct;
                *ret = NULL;
                return 0;
        }
        if (parse_size(value, &bytes) < 0 || bytes == 0)
                return bad_value(ARG_DISK_SIZE, value, "expected a size like 256M, 10G or 20%");
        o->disk_size_percent = 0;
        *ret = json_object_new_uint64(bytes);
        return 0;
}

/* The JSON value of a create option, or NULL to remove the field. */
static int record_value(struct options *o, int c, const char *value, struct json_object **ret) {
        uint64_t u64;
        unsigned n;
        bool b;

        switch (c) {
        case ARG_DISK_SIZE:
                return parse_disk_size(o, value, ret);
        case 'u':
        case ARG_LUKS_SECTOR_SIZE:
                if (safe_atou(value, &n) < 0)
                        return bad_value(c, value, "expected a whole number");
                *ret = json_object_new_int64(n);
                return 0;
        case ARG_LUKS_PBKDF_FORCE_ITERATIONS:
        case ARG_LUKS_PBKDF_PARALLEL_THREADS:
                if (safe_atou64(value, &u64) < 0)
                        return bad_value(c, value, "expected a whole number");
                *ret = json_object_new_uint64(u64);
                return 0;
        case ARG_NOT_BEFORE:
        case ARG_NOT_AFTER:
                /* An empty value unsets the field (update) or leaves it out (create). */
                if (!value[0]) {
                        *ret = NULL;
                        return 0;
                }
                if (parse_timestamp(value, &u64) < 0)
                        return bad_value(c, value, "expected \"YYYY-MM-DD HH:MM:SS\" (local time, or with \" UTC\"), "
                                                   "\"YYYY-MM-DD\" or \"@SECONDS\" since the epoch, after 1970");
                *ret = json_object_new_uint64(u64);
                return 0;
        case ARG_RATE_LIMIT_BURST:
        case ARG_LUKS_VOLUME_KEY_SIZE:
                if (safe_atou(value, &n) < 0)
                        return bad_value(c, value, "expected a whole number");
                *ret = json_object_new_int64(n);
                return 0;
        case ARG_RATE_LIMIT_INTERVAL:
        case ARG_LUKS_PBKDF_TIME_COST:
                /* A bare number is seconds, as for homectl; a shorter time
                 * than 100 ms (a weak keyslot) needs its unit written out. */
                if (value[strspn(value, "0123456789")] == 0 && value[0]) {
                        if (safe_atou64(value, &u64) < 0 || u64 == 0 || u64 > UINT64_MAX / 1000000)
                                return bad_value(c, value, "a bare number is seconds, at least 1; "
                                                           "for less than 100 ms write the unit (like 50ms)");
                        u64 *= 1000000;
                } else if (parse_usec(value, &u64) < 0)
                        return bad_value(c, value, "expected seconds or a duration like 500ms or 2s");
                *ret = json_object_new_uint64(u64);
                return 0;
        case ARG_LUKS_PBKDF_MEMORY_COST:
                if (parse_size(value, &u64) < 0)
                        return bad_value(c, value, "expected a size like 64M");
                *ret = json_object_new_uint64(u64);
                return 0;
        case ARG_LUKS_DISCARD:
        case ARG_LOCKED:
        case ARG_KEEP_UNLOCKED_AFTER_LOGOUT:
                if (parse_boolean(value, &b) < 0)
                        return bad_value(c, value, "expected yes or no");
                *ret = json_object_new_boolean(b);
                return 0;
        default: /* text: the agent validates it */
                *ret = json_object_new_string(value);
                return 0;
        }
}

static int set_record_field(struct options *o, int c, const char *value) {
        struct json_object *v = NULL;
        const char *field = field_of(c);
        int r;

        if (!o->create_option)
                o->create_option = option_name(c);
        r = record_value(o, c, value, &v);
        if (r < 0)
                return r;
        if (!o->record) {
                o->record = json_object_new_object();
                if (!o->record) {
                        json_object_put(v);
                        return -ENOMEM;
                }
        }
        json_object_object_del(o->record, field);
        /* --not-before= and --not-after= unset: a null member (update
         * sends it as is; create leaves the field out). */
        if (v || c == ARG_NOT_BEFORE || c == ARG_NOT_AFTER)
                json_object_object_add(o->record, field, v);
        return 0;
}

/* --ssh-authorized-keys adds to the list given on this command line (update
 * replaces the record's list with it). */
static int add_ssh_keys(struct options *o, const char *value) {
        struct json_object *keys;

        if (!o->create_option)
                o->create_option = option_name(ARG_SSH_AUTHORIZED_KEYS);
        if (!o->record && !(o->record = json_object_new_object()))
                return -ENOMEM;
        /* An empty value empties the list (update: removes every key). */
        if (!json_object_object_get_ex(o->record, "sshAuthorizedKeys", &keys) || !value[0]) {
                keys = json_object_new_array();
                if (!keys || json_object_object_add(o->record, "sshAuthorizedKeys", keys) < 0)
                        return -ENOMEM;
        }
        return value[0] ? ssh_keys_append(keys, value) : 0;
}

/* --json=MODE takes its argument as homectl's does: pretty, short or off. */
static int parse_json_mode(const char *value, enum json_mode *ret) {
        if (streq(value, "pretty"))
                *ret = JSON_PRETTY;
        else if (streq(value, "short"))
                *ret = JSON_SHORT;
        else if (streq(value, "off"))
                *ret = JSON_OFF;
        else
                return bad_value(ARG_JSON, value, "expected pretty, short or off");
        return 0;
}

static int parse_one(struct options *o, int c, bool *no_legend) {
        bool b;

        if (c == ARG_SSH_AUTHORIZED_KEYS)
                return add_ssh_keys(o, optarg);
        if (is_create_option(c))
                return set_record_field(o, c, optarg);

        switch (c) {
        case 'q':
                o->quiet = true;
                return 0;
        case 'j':
                o->json = JSON_PRETTY;
                return 0;
        case ARG_JSON:
                return parse_json_mode(optarg, &o->json);
        case ARG_NO_ASK_PASSWORD:
                o->no_ask_password = true;
                return 0;
        case ARG_ENFORCE_PASSWORD_POLICY:
                if (parse_boolean(optarg, &b) < 0)
                        return bad_value(c, optarg, "expected yes or no");
                o->skip_password_policy = !b;
                return 0;
        case ARG_TYPE:
                if (optarg[0] == 0)
                        return bad_value(c, optarg, "expected recovery, pkcs11, fido2, ssh-agent or password");
                o->credential_type = optarg;
                return 0;
        case ARG_NO_PAGER:
                return 0; /* there is no pager */
        case ARG_NO_LEGEND:
                *no_legend = true;
                return 0;
        case ARG_FORCE:
                o->force = true;
                return 0;
        case ARG_RECOVERY_KEY:
                if (credential_option_recovery_key(o, optarg) < 0)
                        return -EINVAL;
                /* unlock asks for it (yes) or not (no); create and update enroll it */
                o->ask_recovery_key = o->credentials.recovery_key;
                return 0;
        case ARG_PKCS11_TOKEN_URI:
                return credential_option_pkcs11(o, optarg) < 0 ? -EINVAL : 0;
        case ARG_FIDO2_DEVICE:
                return credential_option_fido2_device(o, optarg) < 0 ? -EINVAL : 0;
        case ARG_FIDO2_WITH_CLIENT_PIN:
        case ARG_FIDO2_WITH_USER_PRESENCE:
        case ARG_FIDO2_WITH_USER_VERIFICATION:
                return credential_option_fido2_with(o, c - ARG_FIDO2_WITH_CLIENT_PIN, option_name(c), optarg) < 0 ? -EINVAL : 0;
        case ARG_SSH_UNLOCK_KEY:
                return credential_option_ssh_unlock_key(o, optarg) != 0 ? -EINVAL : 0;
        case ARG_SSH_AGENT:
                o->ssh_agent = true;
                return 0;
        case ARG_IDENTITY:
                if (optarg[0] == 0)
                        return bad_value(c, optarg, "expected a file name or -");
                o->identity = optarg;
                return 0;
        case ARG_EXPORT:
                o->export = true;
                return 0;
        case ARG_DROP_IF_LOCKED:
                o->drop_if_locked = true;
                return 0;
        case ARG_DEACTIVATE_UNFROZEN:
                o->deactivate_unfrozen = true;
                return 0;
        case ARG_ALLOW_OVERCOMMIT:
                o->allow_overcommit = true;
                return 0;
        case ARG_CLEAR:
                o->clear = true;
                return 0;
        case ARG_PASSWORD_FILE:
                if (optarg[0] == 0)
                        return bad_value(c, optarg, "expected a file name");
                o->password_file = optarg;
                return 0;
        default:
                return -EINVAL;
        }
}

int parse_options(int argc, char **argv, struct options *o, enum action *action) {
        bool no_legend = false;
        int c, r;

        *action = ACTION_RUN;
        opterr = 0; /* errors are reported here, once */
        while ((c = getopt_long(argc, argv, ":hjqc:u:s:d:", long_options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        *action = ACTION_HELP;
                        return 0;
                case ARG_VERSION:
                        *action = ACTION_VERSION;
                        return 0;
                case '?':
                        if (optopt > 0 && optopt < 0x100)
                                usage_error("unknown option '-%c'", optopt);
                        else
                                usage_error("unknown option '%s'", argv[optind - 1]);
                        return -EINVAL;
                case ':':
                        usage_error("option '%s' needs a value", argv[optind - 1]);
                        return -EINVAL;
                default:
                        r = parse_one(o, c, &no_legend);
                        if (r == -ENOMEM)
                                log_error("out of memory");
                        if (r < 0)
                                return -EINVAL;
                }
        }
        o->legend = !o->quiet && !no_legend;
        return 0;
}
