/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "config.h"
#include "homefsctl.h"
#include "log.h"
#include "options.h"
#include "secret.h"

static const struct verb {
        const char *name;
        int (*run)(const struct options *o, int argc, char **argv);
        bool json; /* prints JSON with --json; the others refuse it */
} verbs[] = {
        { "create", verb_create, true },
        { "list", verb_list, true },
        { "inspect", verb_inspect, true },
        { "remove", verb_remove, false },
        { "unlock", verb_unlock, true },
        { "activate", verb_activate, true },
        { "lock", verb_lock, true },
        { "deactivate", verb_deactivate, true },
        { "passwd", verb_passwd, false },
        { "ssh-authorized-keys", verb_ssh_keys, true },
        { "update", verb_update, true },
        { "remove-credential", verb_remove_credential, false },
        { "authenticate", verb_authenticate, false },
        { "with", verb_with, false },
        { "resize", verb_resize, true },
        { "run-when-unlocked", verb_run_when_unlocked, false },
        { "queue", verb_queue, true },
        { "lock-all", verb_lock_all, true },
        { "deactivate-all", verb_deactivate_all, false },
};

static void help(void) {
        printf("homefsctl %s — manage homefs encrypted home directories\n"
               "\n"
               "Usage: homefsctl [OPTIONS...] COMMAND [USER...]\n"
               "\n"
               "Commands:\n"
               "  list                    List homes (NAME UID STATE SIZE USED HOST ROOM HOME IMAGE)\n"
               "  inspect [USER...]       Show a home's record, state and sizes\n"
               "  create USER             Create a home (asks for its password twice)\n"
               "  remove USER...          Remove a home and its image\n"
               "  unlock USER...          Activate a home, or resume a locked one\n"
               "  activate USER...        Activate an inactive home (not a locked one)\n"
               "  lock USER...            Lock a home, sessions kept: key wiped, processes\n"
               "                          frozen; unlock resumes them\n"
               "  deactivate USER...      Deactivate a home: open files fail, key wiped\n"
               "  passwd [USER]           Change a home's password\n"
               "  ssh-authorized-keys USER\n"
               "                          Print USER's SSH public keys (for sshd's\n"
               "                          AuthorizedKeysCommand; works unprivileged)\n"
               "  update USER OPTIONS...  Change record fields (see the record options)\n"
               "                          (--recovery-key, --pkcs11-token-uri, --fido2-device,\n"
               "                          --ssh-unlock-key enroll)\n"
               "  authenticate [USER...]  Check a password; nothing else changes\n"
               "  with USER -- CMD...     Unlock, run CMD, deactivate again if it was inactive\n"
               "  resize USER SIZE|min|max Grow (online) or shrink (while inactive) a home\n"
               "  run-when-unlocked -- CMD...  Run CMD now if your home is active, else\n"
               "                          queue it for the next unlock (for crontabs)\n"
               "  queue [USER]            List (or with --clear remove) the queued jobs\n"
               "  lock-all                Lock (sessions kept) every active home whose\n"
               "                          sessions all allow it (pam_homefs suspend=yes);\n"
               "                          --deactivate-unfrozen: deactivate any it cannot freeze\n"
               "  deactivate-all          Deactivate every active or locked home\n"
               "  remove-credential USER KEYSLOT|--type=TYPE\n"
               "                          Remove one credential (keyslots: see inspect), or\n"
               "                          every one of a TYPE\n"
               "Commands taking USER... try each user; the exit status is the first failure's.\n"
               "\n"
               "Options:\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "     --json=pretty|short|off\n"
               "                          Print JSON: list an array of rows, inspect the\n"
               "                          record (runtime state under \"status\"), as homectl\n"
               "  -j                      Same as --json=pretty\n"
               "  -q --quiet              Print nothing but errors (and requested output)\n"
               "     --no-legend          Print no header and footer in 'list'\n"
               "     --no-pager           Accepted for homectl compatibility; no pager is used\n"
               "     --password-file=PATH Read passwords from PATH, one per line, instead of\n"
               "                          the terminal or standard input\n"
               "     --no-ask-password    Fail rather than ask for a password on the terminal\n"
               "     --enforce-password-policy=yes|no\n"
               "                          create, passwd: check a new password's quality\n"
               "                          with libpwquality (default yes)\n"
               "     --type=password|recovery|pkcs11|fido2|ssh-agent\n"
               "                          remove-credential: every credential of this type\n"
               "     --force              remove: also remove a home that is active or locked\n"
               "     --recovery-key[=yes] create, update: enroll a recovery key, shown once;\n"
               "                          unlock: ask for a recovery key instead of the password\n"
               "     --pkcs11-token-uri=URI|auto|list\n"
               "                          create, update: enroll the PKCS#11 token key URI names\n"
               "     --fido2-device=PATH|auto|list\n"
               "                          create, update: enroll a FIDO2 security key (hmac-secret);\n"
               "                          PATH is /dev/hidrawN or unix:/SOCKET\n"
               "     --fido2-with-client-pin=yes|no  --fido2-with-user-presence=yes|no\n"
               "     --fido2-with-user-verification=yes|no\n"
               "                          what unlocking with the key will require (yes, yes, no)\n"
               "     --ssh-unlock-key=KEY|@FILE\n"
               "                          create, update: enroll an ed25519 or RSA public key\n"
               "                          (repeatable); it must be in the ssh-agent at\n"
               "                          SSH_AUTH_SOCK, which signs the home's challenge\n"
               "     --ssh-agent          unlock: with a key in the ssh-agent at SSH_AUTH_SOCK\n"
               "     --export             inspect: print only the record, for create --identity\n"
               "     --drop-if-locked     run-when-unlocked: exit 75 instead of queuing\n"
               "     --allow-overcommit   create, resize: accept (with a warning) a size that the\n"
               "                          host's free space not promised to other homes cannot hold\n"
               "     --clear              queue: remove the queued jobs\n"
               "     --identity=FILE|-    create: start from an exported record; an image\n"
               "                          already at its imagePath is taken over (a moved home);\n"
               "                          update: apply the record's fields that differ\n"
               "\n"
               "Record options for create and update (the fields they set are in homefsctl(1)):\n"
               "  -c --real-name=NAME     --email-address=ADDRESS  -u --uid=UID\n"
               "  -s --shell=PATH         -d --home-dir=PATH       --image-path=PATH\n"
               "     --storage=luks       --disk-size=BYTES|PERCENT%%\n"
               "     --luks-pbkdf-type=argon2id|argon2i|pbkdf2\n"
               "     --luks-pbkdf-hash-algorithm=ALG  --luks-pbkdf-force-iterations=N\n"
               "     --luks-pbkdf-time-cost=SECONDS|DURATION  --luks-pbkdf-memory-cost=BYTES\n"
               "     --luks-pbkdf-parallel-threads=N  --luks-discard=yes|no\n"
               "     --luks-sector-size=BYTES  --locked=yes|no\n"
               "     --ssh-authorized-keys=KEY|@FILE  (repeatable: adds keys)\n"
               "     --rate-limit-interval=DURATION  --rate-limit-burst=N\n"
               "     --not-before=TIME  --not-after=TIME\n"
               "                          (\"YYYY-MM-DD HH:MM:SS\", @EPOCH; empty: unset)\n"
               "     --keep-unlocked-after-logout=yes|no\n"
               "     --luks-cipher=aes  --luks-cipher-mode=xts-plain64\n"
               "     --luks-volume-key-size=64\n"
               "                          (create only; the only cipher homefs implements)\n"
               "\n"
               "Passwords are read from the terminal with echo off, or one per line from\n"
               "standard input when it is not a terminal (passwd: current, then new), or\n"
               "from --password-file. They are never taken from arguments or the environment.\n"
               "\n"
               "Exit status:\n"
               "  0 success            1 failure               2 usage error\n"
               "  3 wrong password     4 no such home          5 rate limited or busy\n"
               "  6 homefs-agent not reachable\n"
               "\n"
               "Environment: HOMEFS_RUNTIME_DIR (default /run/homefs) holds agent.sock.\n"
               "See homefsctl(1).\n",
               HOMEFS_VERSION);
}

static int dispatch(const struct options *o, int argc, char **argv) {
        if (argc < 1)
                return usage_error("missing command");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                if (!streq(argv[0], verbs[i].name))
                        continue;
                if (o->create_option && verbs[i].run != verb_create && verbs[i].run != verb_update)
                        return usage_error("option --%s is only valid with 'create' and 'update'", o->create_option);
                if (o->identity && verbs[i].run != verb_create && verbs[i].run != verb_update)
                        return usage_error("option --identity is only valid with 'create' and 'update'");
                if (o->export && verbs[i].run != verb_inspect)
                        return usage_error("option --export is only valid with 'inspect'");
                if (o->drop_if_locked && verbs[i].run != verb_run_when_unlocked)
                        return usage_error("option --drop-if-locked is only valid with 'run-when-unlocked'");
                if (o->deactivate_unfrozen && verbs[i].run != verb_lock_all)
                        return usage_error("option --deactivate-unfrozen is only valid with 'lock-all'");
                if (o->allow_overcommit && verbs[i].run != verb_create && verbs[i].run != verb_resize)
                        return usage_error("option --allow-overcommit is only valid with 'create' and 'resize'");
                if (o->clear && verbs[i].run != verb_queue)
                        return usage_error("option --clear is only valid with 'queue'");
                if (o->credential_type && verbs[i].run != verb_remove_credential)
                        return usage_error("option --type is only valid with 'remove-credential'");
                if (o->json != JSON_OFF && !verbs[i].json)
                        return usage_error("'%s' prints no JSON; run it without --json/-j", verbs[i].name);
                return verbs[i].run(o, argc - 1, argv + 1);
        }
        return usage_error("unknown command '%s'", argv[0]);
}

int main(int argc, char **argv) {
        struct options o = { .legend = true, .credentials.fido2_with = { -1, -1, -1 } };
        enum action action;
        int status;

        /* Passwords pass through this process. */
        secret_process_harden();
        log_setup("homefsctl", LOG_LEVEL_INFO);

        if (parse_options(argc, argv, &o, &action) < 0)
                status = EXIT_USAGE;
        else if (action == ACTION_HELP) {
                help();
                status = EXIT_OK;
        } else if (action == ACTION_VERSION) {
                printf("homefsctl %s\n", HOMEFS_VERSION);
                status = EXIT_OK;
        } else
                status = dispatch(&o, argc - optind, argv + optind);

        json_object_put(o.record);
        json_object_put(o.credentials.ssh_unlock_keys);
        if (fflush(stdout) != 0 && status == EXIT_OK) {
                log_error_errno(errno, "cannot write the output: %m");
                status = EXIT_FAIL;
        }
        return status;
}
