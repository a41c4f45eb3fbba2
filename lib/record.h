/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

/* A user record: the one description of a homefs user and their home. Its
 * fields and their rules are defined in schema/user-record.schema.yaml (built
 * into the library); names follow systemd's JSON user records. Records live as
 * YAML files "<userName>.yaml" in $HOMEFS_STATE_DIR/records (root-only) and
 * travel over the agent socket as JSON.
 *
 * Strings are NULL when unset; numbers are 0 when unset (a value of 0 is never
 * meaningful for them); record_apply_defaults() fills what the schema gives a
 * default for. */

/* The uids the agent picks from when a create names none (--uid may name
 * another). The PAM module goes by this range when it cannot read the
 * records directory. */
#define HOMEFS_UID_MIN 60001U
#define HOMEFS_UID_MAX 60513U

struct user_record {
        char *user_name;            /* userName, required */
        char *real_name;            /* realName */
        char *email_address;        /* emailAddress */
        uint32_t uid;               /* uid */
        uint32_t gid;               /* gid */
        char *shell;                /* shell */
        char *home_directory;       /* homeDirectory, default /home/<userName> */
        char *image_path;           /* imagePath, default /home/<userName>.home */
        char *storage;              /* storage: "luks" */
        uint64_t disk_size;         /* diskSize, bytes */
        char *file_system_type;     /* fileSystemType: "ext4" */
        char *luks_cipher;          /* luksCipher: "aes" */
        char *luks_cipher_mode;     /* luksCipherMode: "xts-plain64" */
        uint32_t luks_volume_key_size; /* luksVolumeKeySize, bytes: 64 */
        uint32_t luks_sector_size;  /* luksSectorSize: 512..4096, power of two */
        char *luks_pbkdf_type;      /* luksPbkdfType: argon2id|argon2i|pbkdf2 */
        char *luks_pbkdf_hash_algorithm; /* luksPbkdfHashAlgorithm */
        uint64_t luks_pbkdf_force_iterations; /* luksPbkdfForceIterations */
        uint64_t luks_pbkdf_time_cost_usec;   /* luksPbkdfTimeCostUSec */
        uint64_t luks_pbkdf_memory_cost;      /* luksPbkdfMemoryCost, bytes */
        uint64_t luks_pbkdf_parallel_threads; /* luksPbkdfParallelThreads */
        bool luks_discard;          /* luksDiscard */
        bool locked;                /* locked: the account is locked, no unlock */
        uint64_t rate_limit_interval_usec; /* rateLimitIntervalUSec: failed-unlock window */
        uint32_t rate_limit_burst;  /* rateLimitBurst: failed unlocks allowed per window */
        uint64_t last_change_usec;  /* lastChangeUSec, µs since the epoch */
        uint64_t last_password_change_usec; /* lastPasswordChangeUSec */
        uint64_t not_before_usec;   /* notBeforeUSec: no login before, µs since the epoch */
        uint64_t not_after_usec;    /* notAfterUSec: no login after */
        bool keep_unlocked_after_logout; /* keepUnlockedAfterLogout: no lock at the last logout */
        char **ssh_authorized_keys; /* sshAuthorizedKeys: NULL-terminated, NULL when none */
        char **pkcs11_token_uri;    /* pkcs11TokenUri: enrolled smartcard keys (from the header) */
        char **fido2_hmac_credential; /* fido2HmacCredential: enrolled FIDO2 credential IDs */
};

/* NULL-terminated string lists (the record's list fields). */
void strv_free(char **l);
size_t strv_length(char *const *l);

/* May the account log in at now_usec (µs since the epoch)? 0, or
 * -EKEYREVOKED (locked), -EKEYEXPIRED (after notAfterUSec), -ETIME (before
 * notBeforeUSec). */
int user_record_check_login(const struct user_record *r, uint64_t now_usec);

struct user_record *user_record_new(void);
void user_record_free(struct user_record *r);
static inline void user_record_freep(struct user_record **r) {
        user_record_free(*r);
}
#define _cleanup_record_ __attribute__((cleanup(user_record_freep)))

/* Parse and validate. On failure returns negative errno (-EINVAL for invalid
 * content) and, when error is non-NULL, a malloc'ed message naming the origin
 * (file name or "request"), the line where known, and the field:
 *     "/var/lib/homefs/records/alice.yaml:7: field 'uid': must be at least 1000" */
int user_record_from_yaml(const char *text, size_t len, const char *origin,
                          struct user_record **ret, char **error);
int user_record_from_json(struct json_object *o, const char *origin,
                          struct user_record **ret, char **error);

/* Fill defaults (homeDirectory, imagePath, storage, ... from the schema). */
int user_record_apply_defaults(struct user_record *r);

/* Validate a complete record (after defaults), e.g. before saving. */
int user_record_validate(const struct user_record *r, char **error);

/* Serialize; only set fields are emitted. */
struct json_object *user_record_to_json(const struct user_record *r);
int user_record_to_yaml(const struct user_record *r, char **ret);

/* Files below a directory fd (the records directory): "<userName>.yaml",
 * mode 0600, written atomically (temp file, fsync, rename, fsync dir). */
int user_record_load(int dir_fd, const char *user_name, struct user_record **ret, char **error);
int user_record_save(int dir_fd, const struct user_record *r);
int user_record_delete(int dir_fd, const char *user_name);
/* "<userName>.yaml" into buf; -EINVAL for an invalid name. */
int user_record_file_name(const char *user_name, char *buf, size_t size);

/* Record files larger than this are refused. */
#define USER_RECORD_FILE_MAX (64U * 1024U)

/* True if both records have the same fields set to the same values. */
bool user_record_equal(const struct user_record *a, const struct user_record *b);

/* Set one field from a JSON value, validated against the schema (for
 * `homefsctl update` and merging). A JSON null (value == NULL) unsets the
 * field; userName cannot be unset. Returns -ENOENT for an unknown field name,
 * -EINVAL for an invalid value, with a message as for user_record_from_json(). */
int user_record_set_field(struct user_record *r, const char *name, struct json_object *value,
                          const char *origin, char **error);

/* True if s is a valid userName (the schema's pattern). */
bool user_name_is_valid(const char *s);

/* Store "PROBLEM" (printf-style) in *error (if error is non-NULL) and return
 * r: how the record and its schema report a problem to their caller. */
int record_set_error(char **error, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The table of fields the code handles, NULL-terminated, for the schema
 * coverage test. */
extern const char *const user_record_field_names[];

/* The schema text built into the library. */
extern const char user_record_schema_yaml[];
