/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record.h"
#include "tap.h"
#include "yaml-json.h"

#define DATA TEST_SOURCE_ROOT "/tests/unit/data/records/"

static struct user_record *load_data(const char *name) {
        struct user_record *r = NULL;
        char path[4096], *text, *error = NULL;
        size_t len = 0;
        int k;

        snprintf(path, sizeof(path), DATA "%s", name);
        text = tap_read_file(path, 256 * 1024, &len);
        if (!text)
                return NULL;
        k = user_record_from_yaml(text, len, path, &r, &error);
        if (k < 0)
                tap_diag("%s: %s", name, error ?: "?");
        free(error);
        free(text);
        return r;
}

static void test_full_values(const struct user_record *r) {
        tap_ok(strcmp(r->user_name, "alice") == 0, "full: userName");
        tap_ok(strcmp(r->real_name, "Alice Liddell, \"Wonderland\" Dept. #3 — Zoë") == 0, "full: realName with quotes and UTF-8");
        tap_ok(strcmp(r->email_address, "alice@example.org") == 0, "full: emailAddress");
        TAP_EQ_INT(r->uid, 60001, "full: uid");
        TAP_EQ_INT(r->gid, 60002, "full: gid");
        tap_ok(strcmp(r->shell, "/bin/zsh") == 0, "full: shell");
        tap_ok(strcmp(r->home_directory, "/home/alice") == 0, "full: homeDirectory");
        tap_ok(strcmp(r->image_path, "/srv/homes/alice.home") == 0, "full: imagePath (quoted in the file)");
        tap_ok(strcmp(r->storage, "luks") == 0, "full: storage");
        tap_ok(r->disk_size == 21474836480ULL, "full: diskSize");
        tap_ok(strcmp(r->file_system_type, "ext4") == 0, "full: fileSystemType");
        tap_ok(strcmp(r->luks_cipher, "aes") == 0, "full: luksCipher");
        tap_ok(strcmp(r->luks_cipher_mode, "xts-plain64") == 0, "full: luksCipherMode");
        TAP_EQ_INT(r->luks_volume_key_size, 64, "full: luksVolumeKeySize");
        TAP_EQ_INT(r->luks_sector_size, 4096, "full: luksSectorSize");
        tap_ok(strcmp(r->luks_pbkdf_type, "pbkdf2") == 0, "full: luksPbkdfType");
        tap_ok(strcmp(r->luks_pbkdf_hash_algorithm, "sha512") == 0, "full: luksPbkdfHashAlgorithm");
        TAP_EQ_INT(r->luks_pbkdf_force_iterations, 1000, "full: luksPbkdfForceIterations");
        TAP_EQ_INT(r->luks_pbkdf_time_cost_usec, 2000000, "full: luksPbkdfTimeCostUSec");
        TAP_EQ_INT(r->luks_pbkdf_memory_cost, 1073741824, "full: luksPbkdfMemoryCost");
        TAP_EQ_INT(r->luks_pbkdf_parallel_threads, 4, "full: luksPbkdfParallelThreads");
        tap_ok(r->luks_discard, "full: luksDiscard");
        tap_ok(r->locked, "full: locked");
        tap_ok(r->last_change_usec == 1735689600000000ULL, "full: lastChangeUSec");
        tap_ok(r->last_password_change_usec == 1735689500000001ULL, "full: lastPasswordChangeUSec");
        tap_ok(r->not_before_usec == 1704067200000000ULL, "full: notBeforeUSec");
        tap_ok(r->not_after_usec == 1893456000000000ULL, "full: notAfterUSec");
        tap_ok(r->keep_unlocked_after_logout, "full: keepUnlockedAfterLogout");
        tap_ok(strv_length(r->ssh_authorized_keys) == 2 &&
               strcmp(r->ssh_authorized_keys[1], "from=\"10.0.0.0/8\",no-pty ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 alice: backup") == 0,
               "full: sshAuthorizedKeys, a list, with a quoted item");
}

/* Login checks: locked, notBeforeUSec, notAfterUSec. */
static void test_check_login(void) {
        struct user_record r = { .not_before_usec = 1000, .not_after_usec = 2000 };

        TAP_EQ_INT(user_record_check_login(&r, 1500), 0, "login inside the window");
        TAP_EQ_INT(user_record_check_login(&r, 999), -ETIME, "login before notBeforeUSec");
        TAP_EQ_INT(user_record_check_login(&r, 2001), -EKEYEXPIRED, "login after notAfterUSec");
        r.locked = true;
        TAP_EQ_INT(user_record_check_login(&r, 1500), -EKEYREVOKED, "locked account");
}

static void test_round_trips(void) {
        struct user_record *a = load_data("full.yaml"), *b = NULL, *c = NULL;
        struct json_object *j = NULL, *parsed = NULL;
        char *yaml1 = NULL, *yaml2 = NULL, *error = NULL;
        int k;

        if (!tap_ok(a != NULL, "full.yaml parses"))
                return;
        test_full_values(a);
        tap_ok(user_record_validate(a, NULL) == 0, "full.yaml is a complete valid record");

        /* YAML -> struct -> YAML -> struct */
        tap_ok(user_record_to_yaml(a, &yaml1) == 0 && yaml1, "full: to YAML");
        k = user_record_from_yaml(yaml1, strlen(yaml1), "emitted", &b, &error);
        tap_ok(k == 0, "full: emitted YAML parses again%s%s", error ? ": " : "", error ?: "");
        free(error);
        error = NULL;
        tap_ok(b && user_record_equal(a, b), "full: YAML round trip keeps every field");
        tap_ok(b && user_record_to_yaml(b, &yaml2) == 0 && strcmp(yaml1, yaml2) == 0,
               "full: emitting again gives the same text");
        tap_ok(yaml1 && strstr(yaml1, "userName: alice\n") && strstr(yaml1, "uid: 60001\n") &&
               strstr(yaml1, "luksDiscard: true\n") && strstr(yaml1, "homeDirectory: /home/alice\n"),
               "full: emitted YAML is plain where it can be");

        /* JSON -> struct, via text */
        j = user_record_to_json(a);
        tap_ok(j && json_object_object_length(j) == 29, "full: to JSON has all 29 fields");
        parsed = j ? json_tokener_parse(json_object_to_json_string(j)) : NULL;
        k = user_record_from_json(parsed, "json", &c, &error);
        tap_ok(k == 0 && c && user_record_equal(a, c), "full: JSON round trip keeps every field%s%s",
               error ? ": " : "", error ?: "");
        free(error);

        json_object_put(j);
        json_object_put(parsed);
        free(yaml1);
        free(yaml2);
        user_record_free(a);
        user_record_free(b);
        user_record_free(c);
}

/* Strings that need quoting in YAML survive a round trip exactly. */
static void test_tricky_strings(void) {
        static const char *const names[] = {
                "", "true", "True", "false", "yes", "No", "on", "OFF", "y", "null", "NULL", "~",
                "123", "-5", "0x10", "1.5", "1e3", ".5", "007", " leading", "trailing ", "a  b",
                "# not a comment", "a #b", "- dash", "[x]", "{x}", "'single'", "\"double\"",
                "back\\slash", "percent %", "at @home", "&anchor", "*alias", "!tag", "|", ">",
                "Zoë Ödön 山田", "x, y", "=", "?", "a\u00a0b",
                ("a very long name that goes on and on beyond eighty columns so that a YAML "
                 "emitter with its default width would want to fold it over several lines"),
        };

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                struct user_record *r = user_record_new(), *back = NULL;
                char *yaml = NULL, *error = NULL;
                int k;

                r->user_name = strdup("alice");
                r->real_name = strdup(names[i]);
                r->home_directory = strdup("/home/a b/alice");
                k = user_record_to_yaml(r, &yaml);
                if (k == 0)
                        k = user_record_from_yaml(yaml, strlen(yaml), "tricky", &back, &error);
                tap_ok(k == 0 && user_record_equal(r, back), "realName \"%s\" round trips%s%s", names[i],
                       error ? ": " : "", error ?: "");
                free(error);
                free(yaml);
                user_record_free(r);
                user_record_free(back);
        }
}

struct invalid_case {
        const char *file;
        const char *want; /* the message after the file's path */
};

static const struct invalid_case invalid_cases[] = {
        { "unknown-field.yaml", ":3: field 'favouriteColour': unknown field" },
        { "wrong-type.yaml", ":2: field 'uid': must be an integer, not a string" },
        { "out-of-range.yaml", ":3: field 'uid': must be at least 1000" },
        { "too-large.yaml", ":2: field 'luksPbkdfParallelThreads': must be at most 64" },
        { "memory-cost-too-small.yaml", ":2: field 'luksPbkdfMemoryCost': must be at least 32768" },
        { "bad-enum.yaml", ":2: field 'storage': must be one of: luks" },
        { "bad-enum-integer.yaml", ":2: field 'luksSectorSize': must be one of: 512, 1024, 2048, 4096" },
        { "bad-pattern.yaml", ":1: field 'userName': is not valid: must be lower case letters" },
        { "bad-real-name.yaml", ":2: field 'realName': is not valid: must be any text without ':'" },
        { "bad-email.yaml", ":2: field 'emailAddress': is not valid" },
        { "dotdot-path.yaml", ":3: field 'homeDirectory': is not valid: must be an absolute path without '.' or '..'" },
        { "double-slash-path.yaml", ":2: field 'imagePath': is not valid" },
        { "trailing-slash-path.yaml", ":2: field 'homeDirectory': is not valid" },
        { "relative-path.yaml", ":2: field 'shell': is not valid" },
        { "null-value.yaml", ":2: field 'realName': must be a string, not null" },
        { "nested.yaml", ":2: field 'realName': must be a string, not a mapping" },
        { "yes-boolean.yaml", ":2: field 'locked': must be a boolean (true or false), not a string" },
        { "missing-user-name.yaml", ": field 'userName': is required" },
        { "not-a-mapping.yaml", ": a user record must be a mapping of fields, not a list" },
        { "duplicate-key.yaml", ":3: duplicate key 'realName'" },
        { "integer-overflow.yaml", ":2: integer out of range" },
        { "malformed.yaml", ":3: invalid YAML" },
        { "anchor.yaml", ":2: YAML anchors are not allowed" },
        { "alias.yaml", ":2: YAML aliases are not allowed" },
        { "tag.yaml", ":2: YAML tags are not allowed" },
        { "two-documents.yaml", ":2: only one YAML document is allowed" },
        { "empty.yaml", ": empty document" },
};

static void test_invalid_files(void) {
        for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
                const struct invalid_case *c = &invalid_cases[i];
                struct user_record *r = NULL;
                char path[4096], want[4096 + 256], *text, *error = NULL;
                size_t len = 0;
                int k;

                snprintf(path, sizeof(path), DATA "invalid/%s", c->file);
                snprintf(want, sizeof(want), "%s%s", path, c->want);
                text = tap_read_file(path, 256 * 1024, &len);
                if (!tap_ok(text != NULL, "read %s", c->file))
                        continue;
                k = user_record_from_yaml(text, len, path, &r, &error);
                tap_ok(k == -EINVAL && !r && error && strncmp(error, want, strlen(want)) == 0,
                       "%s rejected: want \"...%s\", got %d \"%s\"", c->file, c->want, k, error ?: "(none)");
                free(error);
                free(text);
                user_record_free(r);
        }
}

static void check_yaml_error(const char *yaml, const char *want) {
        struct user_record *r = NULL;
        char *error = NULL;
        int k = user_record_from_yaml(yaml, strlen(yaml), "inline", &r, &error);

        tap_ok(k < 0 && !r && error && strstr(error, want), "rejected: want \"%s\", got \"%s\"", want, error ?: "(none)");
        free(error);
        user_record_free(r);
}

static void check_json_error(const char *json, const char *want) {
        struct json_object *o = json_tokener_parse(json);
        struct user_record *r = NULL;
        char *error = NULL;
        int k = user_record_from_json(o, NULL, &r, &error);

        tap_ok(k == -EINVAL && !r && error && strcmp(error, want) == 0, "JSON %s rejected: want \"%s\", got \"%s\"",
               json, want, error ?: "(none)");
        free(error);
        user_record_free(r);
        json_object_put(o);
}

static void test_invalid_inline(void) {
        char deep[256] = "userName: alice\nrealName: ";
        char *big;

        for (int i = 0; i < 20; i++)
                strcat(deep, "[");
        check_yaml_error(deep, "nested deeper than 16 levels");
        check_yaml_error("userName: \"al\\0ice\"\n", "inline:1: strings must not contain NUL bytes");
        check_yaml_error("userName: alice\nuid: 60001.5\n", "inline:2: field 'uid': must be an integer, not a string");
        check_yaml_error("userName: alice\nuid: 070000\n", "inline:2: field 'uid': must be an integer");
        check_yaml_error("userName: alice\nuid: -1\n", "inline:2: field 'uid': must be at least 1000");
        check_yaml_error("userName: alice\nuid: 60514\n", "inline:2: field 'uid': must be at most 60513");
        check_yaml_error("userName: alice\ndiskSize: 1000\n", "inline:2: field 'diskSize': must be at least 16777216");
        check_yaml_error("userName: alice\nluksPbkdfType: scrypt\n",
                         "inline:2: field 'luksPbkdfType': must be one of: argon2id, argon2i, pbkdf2");
        check_yaml_error("userName: alice\nluksPbkdfHashAlgorithm: sha1\n",
                         "inline:2: field 'luksPbkdfHashAlgorithm': must be one of: sha256, sha384, sha512");
        check_yaml_error("userName: alice\nrealName: \"two\\nlines\"\n", "inline:2: field 'realName': is not valid");
        check_yaml_error("userName: abcdefghijklmnopqrstuvwxyz0123456\n", "inline:1: field 'userName': must be at most 31 bytes long");
        check_yaml_error("userName: alice\nhomeDirectory: /\n", "inline:2: field 'homeDirectory': is not valid");
        check_yaml_error("userName: alice\nhomeDirectory: /home/./alice\n", "inline:2: field 'homeDirectory': is not valid");
        check_yaml_error("userName: alice\nhomeDirectory: /home/al:ice\n", "inline:2: field 'homeDirectory': is not valid");
        check_yaml_error("userName: alice\n\"uid\": 60001\nuid: 60002\n", "inline:3: duplicate key 'uid'");
        check_yaml_error("{userName: alice, uid: [1]}", "inline:1: field 'uid': must be an integer, not a list");
        check_yaml_error("userName: alice\nrealName: \xff\n", "inline:2: invalid YAML: invalid leading UTF-8 octet");
        check_yaml_error("userName: alice\nrealName: ~\n", "inline:2: field 'realName': must be a string, not null");
        check_yaml_error("? [a]\n: b\n", "inline:1: mapping keys must be plain strings");
        check_yaml_error("%TAG !x! tag:example.com,2000:\n---\nuserName: alice\n", "TAG directives are not allowed");

        big = malloc(YAML_JSON_SIZE_MAX + 2);
        memset(big, '#', YAML_JSON_SIZE_MAX + 1);
        big[YAML_JSON_SIZE_MAX + 1] = '\0';
        check_yaml_error(big, "inline: larger than");
        free(big);

        check_json_error("{\"userName\":\"alice\",\"uid\":\"60001\"}", "request: field 'uid': must be an integer, not a string");
        check_json_error("{\"userName\":\"alice\",\"uid\":60001.0}",
                         "request: field 'uid': must be an integer, not a number with a fraction");
        check_json_error("{\"userName\":\"alice\",\"lastChangeUSec\":18446744073709551615}",
                         "request: field 'lastChangeUSec': must be at most 9223372036854775807");
        check_json_error("{\"userName\":\"alice\",\"sshAuthorizedKeys\":\"ssh-ed25519 AAAA\"}",
                         "request: field 'sshAuthorizedKeys': must be a list of strings, not a string");
        check_json_error("{\"userName\":\"alice\",\"sshAuthorizedKeys\":[\"ok\",7]}",
                         "request: field 'sshAuthorizedKeys': item 2 must be a string, not an integer");
        check_json_error("{\"userName\":\"alice\",\"sshAuthorizedKeys\":[\"two\\nlines\"]}",
                         "request: field 'sshAuthorizedKeys': item 1 is not valid: must be one line of text without control characters");
        check_json_error("{\"userName\":\"alice\",\"nope\":1}", "request: field 'nope': unknown field");
        check_json_error("{\"uid\":60001}", "request: field 'userName': is required");
        check_json_error("[1]", "request: a user record must be a mapping of fields, not a list");
        check_json_error("{\"userName\":\"al\\u0000ice\"}", "request: field 'userName': must not contain NUL bytes");
}

static void test_defaults(void) {
        struct user_record *r = load_data("minimal.yaml"), *empty = user_record_new();
        char *error = NULL;
        int k;

        if (!tap_ok(r != NULL, "minimal.yaml parses"))
                return;
        TAP_EQ_INT(user_record_apply_defaults(empty), -EINVAL, "defaults need a userName");

        r->shell = strdup("/bin/zsh");
        tap_ok(user_record_apply_defaults(r) == 0, "defaults apply");
        tap_ok(strcmp(r->home_directory, "/home/bob") == 0, "homeDirectory defaults to /home/bob");
        tap_ok(strcmp(r->image_path, "/home/bob.home") == 0, "imagePath defaults to /home/bob.home");
        tap_ok(strcmp(r->shell, "/bin/zsh") == 0, "a set shell is kept");
        tap_ok(strcmp(r->storage, "luks") == 0, "storage defaults to luks");
        tap_ok(strcmp(r->file_system_type, "ext4") == 0, "fileSystemType defaults to ext4");
        tap_ok(strcmp(r->luks_cipher, "aes") == 0 && strcmp(r->luks_cipher_mode, "xts-plain64") == 0,
               "cipher defaults to aes-xts-plain64");
        TAP_EQ_INT(r->luks_volume_key_size, 64, "luksVolumeKeySize defaults to 64");
        TAP_EQ_INT(r->luks_sector_size, 4096, "luksSectorSize defaults to 4096");
        tap_ok(strcmp(r->luks_pbkdf_type, "argon2id") == 0, "luksPbkdfType defaults to argon2id");
        tap_ok(strcmp(r->luks_pbkdf_hash_algorithm, "sha256") == 0, "luksPbkdfHashAlgorithm defaults to sha256");
        tap_ok(!r->luks_discard && !r->locked, "booleans default to false");
        tap_ok(r->uid == 0 && r->gid == 0 && r->disk_size == 0 && !r->real_name && r->luks_pbkdf_force_iterations == 0,
               "fields without a default stay unset");

        k = user_record_validate(r, &error);
        tap_ok(k == -EINVAL && error && strcmp(error, "record 'bob': field 'uid': is required in a complete record") == 0,
               "without uid the record is not complete (%s)", error ?: "");
        free(error);
        error = NULL;

        r->uid = 60010;
        tap_ok(user_record_apply_defaults(r) == 0 && r->gid == 60010, "gid defaults to uid");
        k = user_record_validate(r, &error);
        tap_ok(k == 0, "with defaults and uid the record is complete%s%s", error ? ": " : "", error ?: "");
        free(error);
        error = NULL;

        free(r->image_path);
        r->image_path = strdup("/home/bob/bob.home");
        k = user_record_validate(r, &error);
        tap_ok(k == -EINVAL && error && strstr(error, "field 'imagePath': must not be inside homeDirectory"),
               "an image inside the home is refused (%s)", error ?: "");
        free(error);
        error = NULL;

        free(r->image_path);
        r->image_path = strdup("/home/bob");
        tap_ok(user_record_validate(r, NULL) == -EINVAL, "an image at the home path is refused");

        free(r->image_path);
        r->image_path = strdup("/home/bob.home");
        r->uid = 70000;
        k = user_record_validate(r, &error);
        tap_ok(k == -EINVAL && error && strcmp(error, "record 'bob': field 'uid': must be at most 60513") == 0,
               "validate checks ranges (%s)", error ?: "");
        free(error);

        user_record_free(r);
        user_record_free(empty);
}

static void test_set_field(void) {
        struct user_record *r = user_record_new();
        struct json_object *v;
        char *error = NULL;
        int k;

        r->user_name = strdup("carol");
        v = json_object_new_string("Carol C");
        tap_ok(user_record_set_field(r, "realName", v, NULL, NULL) == 0 && strcmp(r->real_name, "Carol C") == 0,
               "set_field sets realName");
        json_object_put(v);

        v = json_object_new_int64(5);
        k = user_record_set_field(r, "uid", v, "option", &error);
        tap_ok(k == -EINVAL && error && strcmp(error, "option: field 'uid': must be at least 1000") == 0 && r->uid == 0,
               "set_field validates (%s)", error ?: "");
        free(error);
        error = NULL;
        json_object_put(v);

        v = json_object_new_boolean(true);
        tap_ok(user_record_set_field(r, "locked", v, NULL, NULL) == 0 && r->locked, "set_field sets a boolean");
        json_object_put(v);

        tap_ok(user_record_set_field(r, "realName", NULL, NULL, NULL) == 0 && !r->real_name, "null unsets a field");
        tap_ok(user_record_set_field(r, "userName", NULL, NULL, NULL) == -EINVAL && r->user_name, "userName cannot be unset");
        TAP_EQ_INT(user_record_set_field(r, "colour", NULL, NULL, NULL), -ENOENT, "set_field: unknown field");
        user_record_free(r);
}

static void test_user_names(void) {
        static const char *const good[] = { "alice", "_x", "a-b_c9", "root", "abcdefghijklmnopqrstuvwxyz01234" };
        static const char *const bad[] = { "", "Alice", "1abc", "-a", "a b", "a/b", "..", ".a", "a.b", "a:b",
                                           "abcdefghijklmnopqrstuvwxyz012345", "al\xc3\xa9" };

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                tap_ok(user_name_is_valid(good[i]), "user name \"%s\" is valid", good[i]);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                tap_ok(!user_name_is_valid(bad[i]), "user name \"%s\" is invalid", bad[i]);
        tap_ok(!user_name_is_valid(NULL), "NULL is not a user name");
}

static int count_entries(int dir_fd) {
        /* A new open file description: its own offset, unlike dup(). */
        DIR *d = fdopendir(openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        struct dirent *de;
        int n = 0;

        if (!d)
                return -1;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        n++;
        closedir(d);
        return n;
}

static void write_file(int dir_fd, const char *name, const char *text, size_t len, mode_t mode) {
        int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

        if (fd < 0 || write(fd, text, len) != (ssize_t) len)
                tap_diag("cannot write %s", name);
        if (fd >= 0) {
                fchmod(fd, mode);
                close(fd);
        }
}

static void check_load_error(int dir_fd, const char *user, int want_r, const char *want) {
        struct user_record *r = NULL;
        char *error = NULL;
        int k = user_record_load(dir_fd, user, &r, &error);

        tap_ok(k == want_r && !r && error && strstr(error, want), "load %s fails with %d: want \"%s\", got %d \"%s\"",
               user, want_r, want, k, error ?: "(none)");
        free(error);
        user_record_free(r);
}

static void test_files(void) {
        char dir[] = "/tmp/test-record-XXXXXX";
        struct user_record *a = load_data("full.yaml"), *b = NULL, *incomplete = user_record_new();
        char *error = NULL, *big, want[256];
        struct stat st;
        int dir_fd, k;

        if (!tap_ok(mkdtemp(dir) != NULL && a, "temporary directory"))
                return;
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        /* save, atomically, mode 0600 */
        umask(0);
        TAP_EQ_INT(user_record_save(dir_fd, a), 0, "save alice");
        tap_ok(fstatat(dir_fd, "alice.yaml", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
               (st.st_mode & 07777) == 0600, "alice.yaml is a regular file with mode 0600 (got %o)",
               (unsigned) (st.st_mode & 07777));
        TAP_EQ_INT(count_entries(dir_fd), 1, "no temporary files are left");
        umask(022);

        k = user_record_load(dir_fd, "alice", &b, &error);
        tap_ok(k == 0 && user_record_equal(a, b), "load gives back what was saved%s%s", error ? ": " : "", error ?: "");
        free(error);
        error = NULL;
        user_record_free(b);
        b = NULL;

        /* replace */
        free(a->real_name);
        a->real_name = strdup("Alice II");
        TAP_EQ_INT(user_record_save(dir_fd, a), 0, "save alice again");
        k = user_record_load(dir_fd, "alice", &b, NULL);
        tap_ok(k == 0 && strcmp(b->real_name, "Alice II") == 0, "the second save replaced the first");
        TAP_EQ_INT(count_entries(dir_fd), 1, "still one file");
        user_record_free(b);
        b = NULL;

        /* refusals */
        incomplete->user_name = strdup("dora");
        TAP_EQ_INT(user_record_save(dir_fd, incomplete), -EINVAL, "an incomplete record is not saved");
        tap_ok(faccessat(dir_fd, "dora.yaml", F_OK, AT_SYMLINK_NOFOLLOW) < 0, "and no file was created");
        free(incomplete->user_name);
        incomplete->user_name = strdup("../etc");
        TAP_EQ_INT(user_record_save(dir_fd, incomplete), -EINVAL, "an invalid user name is not used as a file name");

        TAP_EQ_INT(symlinkat("alice.yaml", dir_fd, "bob.yaml"), 0, "make bob.yaml a symlink");
        check_load_error(dir_fd, "bob", -ELOOP, "bob.yaml: is a symbolic link");

        big = malloc(USER_RECORD_FILE_MAX + 100);
        memset(big, '#', USER_RECORD_FILE_MAX + 100);
        memcpy(big, "userName: carl\n", 15);
        write_file(dir_fd, "carl.yaml", big, USER_RECORD_FILE_MAX + 100, 0600);
        check_load_error(dir_fd, "carl", -EFBIG, "carl.yaml: larger than 65536 bytes");
        free(big);

        write_file(dir_fd, "dave.yaml", "userName: erin\n", 15, 0600);
        snprintf(want, sizeof(want), "%s/dave.yaml: field 'userName': 'erin' does not match the file name", dir);
        check_load_error(dir_fd, "dave", -EINVAL, want);

        write_file(dir_fd, "fred.yaml", "userName: fred\n", 15, 0620);
        check_load_error(dir_fd, "fred", -EPERM, "fred.yaml: writable by group or others");

        write_file(dir_fd, "gina.yaml", "userName: gina\nuid: 12\n", 23, 0600);
        snprintf(want, sizeof(want), "%s/gina.yaml:2: field 'uid': must be at least 1000", dir);
        check_load_error(dir_fd, "gina", -EINVAL, want);

        if (geteuid() == 0) {
                write_file(dir_fd, "hugo.yaml", "userName: hugo\n", 15, 0600);
                tap_ok(fchownat(dir_fd, "hugo.yaml", 1000, 1000, 0) == 0, "chown hugo.yaml");
                check_load_error(dir_fd, "hugo", -EPERM, "hugo.yaml: not owned by root");
        } else
                tap_diag("not root: skipping the ownership check");

        TAP_EQ_INT(mkdirat(dir_fd, "ivan.yaml", 0700), 0, "make ivan.yaml a directory");
        check_load_error(dir_fd, "ivan", -EINVAL, "ivan.yaml: not a regular file");
        check_load_error(dir_fd, "nobody", -ENOENT, "nobody.yaml: No such file or directory");
        check_load_error(dir_fd, "../alice", -EINVAL, "invalid user name");

        /* delete */
        TAP_EQ_INT(user_record_delete(dir_fd, "alice"), 0, "delete alice");
        tap_ok(faccessat(dir_fd, "alice.yaml", F_OK, AT_SYMLINK_NOFOLLOW) < 0, "alice.yaml is gone");
        TAP_EQ_INT(user_record_delete(dir_fd, "alice"), -ENOENT, "deleting again: -ENOENT");
        TAP_EQ_INT(user_record_delete(dir_fd, "a/b"), -EINVAL, "delete refuses an invalid name");

        /* clean up */
        static const char *const names[] = { "bob.yaml", "carl.yaml", "dave.yaml", "fred.yaml", "gina.yaml", "hugo.yaml" };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                (void) unlinkat(dir_fd, names[i], 0);
        (void) unlinkat(dir_fd, "ivan.yaml", AT_REMOVEDIR);
        close(dir_fd);
        tap_ok(rmdir(dir) == 0, "the temporary directory is empty at the end");

        user_record_free(a);
        user_record_free(incomplete);
}

/* The YAML subset, directly. */
static void test_yaml_json(void) {
        static const char yaml[] =
                "a: true\n"
                "b: \"true\"\n"
                "c: -5\n"
                "d: 007\n"
                "e: '12'\n"
                "f: ~\n"
                "g:\n"
                "h: 1.5\n"
                "i: [1, x, false]\n"
                "j: {k: v}\n"
                "l: |\n"
                "  text\n"
                "m: 9223372036854775807\n"
                "n: yes\n";
        struct json_object *o = NULL, *lines = NULL, *v;
        char *error = NULL;
        int k;

        k = yaml_to_json(yaml, strlen(yaml), "t", &o, &lines, &error);
        if (!tap_ok(k == 0, "yaml_to_json parses the sample%s%s", error ? ": " : "", error ?: "")) {
                free(error);
                return;
        }
        tap_ok(json_object_object_get_ex(o, "a", &v) && json_object_is_type(v, json_type_boolean) &&
               json_object_get_boolean(v), "plain true is a boolean");
        tap_ok(json_object_object_get_ex(o, "b", &v) && json_object_is_type(v, json_type_string),
               "quoted true is a string");
        tap_ok(json_object_object_get_ex(o, "c", &v) && json_object_is_type(v, json_type_int) &&
               json_object_get_int64(v) == -5, "-5 is an integer");
        tap_ok(json_object_object_get_ex(o, "d", &v) && json_object_is_type(v, json_type_string),
               "007 (leading zero) is a string");
        tap_ok(json_object_object_get_ex(o, "e", &v) && json_object_is_type(v, json_type_string),
               "quoted 12 is a string");
        tap_ok(json_object_object_get_ex(o, "f", &v) && v == NULL, "~ is null");
        tap_ok(json_object_object_get_ex(o, "g", &v) && v == NULL, "an empty value is null");
        tap_ok(json_object_object_get_ex(o, "h", &v) && json_object_is_type(v, json_type_string),
               "1.5 is a string");
        tap_ok(json_object_object_get_ex(o, "i", &v) && json_object_is_type(v, json_type_array) &&
               json_object_array_length(v) == 3, "a flow sequence is an array");
        tap_ok(json_object_object_get_ex(o, "j", &v) && json_object_is_type(v, json_type_object),
               "a flow mapping is an object");
        tap_ok(json_object_object_get_ex(o, "l", &v) && strcmp(json_object_get_string(v), "text\n") == 0,
               "a block scalar is a string");
        tap_ok(json_object_object_get_ex(o, "m", &v) && json_object_get_int64(v) == INT64_MAX,
               "INT64_MAX is an integer");
        tap_ok(json_object_object_get_ex(o, "n", &v) && json_object_is_type(v, json_type_string),
               "yes is a string, not a YAML 1.1 boolean");
        tap_ok(yaml_json_line(lines, "a") == 1 && yaml_json_line(lines, "j") == 10 && yaml_json_line(lines, "m") == 13 &&
               yaml_json_line(lines, "zzz") == 0, "the line table knows top-level keys");
        json_object_put(o);
        json_object_put(lines);

        o = NULL;
        k = yaml_to_json("a: 9223372036854775808\n", strlen("a: 9223372036854775808\n"), "t", &o, NULL, &error);
        tap_ok(k == -EINVAL && !o && error && strcmp(error, "t:1: integer out of range: 9223372036854775808") == 0,
               "INT64_MAX + 1 is an error (%s)", error ?: "");
        free(error);
}

int main(void) {
        test_yaml_json();
        test_round_trips();
        test_tricky_strings();
        test_invalid_files();
        test_invalid_inline();
        test_defaults();
        test_check_login();
        test_set_field();
        test_user_names();
        test_files();
        return tap_done();
}
