/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "macro.h"
#include "sshstub.h"

#define SFTP_ARGS_MAX 32

bool is_self(const char *path) {
        char self[PATH_MAX], other[PATH_MAX];

        if (!path || path[0] != '/' || !realpath("/proc/self/exe", self) || !realpath(path, other))
                return false;
        return streq(self, other);
}

const char *shell_choose(const char *record_shell, const struct passwd *pw) {
        if (record_shell && !is_self(record_shell))
                return record_shell;
        if (pw->pw_shell && pw->pw_shell[0] == '/' && !is_self(pw->pw_shell))
                return pw->pw_shell;
        return "/bin/sh";
}

static bool first_word_is(const char *command, const char *word) {
        size_t n = strlen(word);

        return strncmp(command, word, n) == 0 && (command[n] == '\0' || command[n] == ' ' || command[n] == '\t');
}

bool command_is_sftp(const char *command) {
        const char *end, *slash = NULL;

        if (!command)
                return false;
        if (first_word_is(command, "internal-sftp"))
                return true;
        /* A path whose last component is sftp-server, followed by its options. */
        end = command + strcspn(command, " \t");
        for (const char *p = command; p < end; p++)
                if (*p == '/')
                        slash = p;
        return slash && (size_t) (end - slash - 1) == strlen("sftp-server") &&
               strncmp(slash + 1, "sftp-server", strlen("sftp-server")) == 0;
}

/* internal-sftp is sshd's own: there is nothing to exec by that name. The
 * same server as a program takes the same options. */
static int exec_internal_sftp(char *command) {
        char *argv[SFTP_ARGS_MAX + 1] = { (char *) "sftp-server" };
        size_t n = 1;

        strtok(command, " \t"); /* "internal-sftp" */
        for (char *a; n < SFTP_ARGS_MAX && (a = strtok(NULL, " \t"));)
                argv[n++] = a;
        argv[n] = NULL;
        execv(HOMEFS_SFTP_SERVER, argv);
        return log_error_errno(-errno, "cannot run the SFTP server %s: %m", HOMEFS_SFTP_SERVER);
}

int exec_user_shell(const char *shell, const struct passwd *pw, const char *command) {
        const char *base = strrchr(shell, '/') ? strrchr(shell, '/') + 1 : shell;
        _cleanup_free_ char *cmd = command ? strdup(command) : NULL;
        char login_name[256];

        if (command && !cmd)
                return log_error_errno(-ENOMEM, "out of memory");
        if (chdir(pw->pw_dir) < 0) {
                (void) log_warning_errno(errno, "could not enter the home directory %s: %m", pw->pw_dir);
                if (chdir("/") < 0)
                        return log_error_errno(-errno, "cannot enter /: %m");
        }
        /* Plain sshd sets no SSH_ORIGINAL_COMMAND: neither do we. */
        unsetenv("SSH_ORIGINAL_COMMAND");
        /* What the programs below expect, as sshd sets it. */
        (void) setenv("SHELL", shell, 1);
        if (cmd && first_word_is(cmd, "internal-sftp"))
                return exec_internal_sftp(cmd);
        if (cmd)
                execl(shell, base, "-c", cmd, (char *) NULL);
        else {
                snprintf(login_name, sizeof(login_name), "-%s", base);
                execl(shell, login_name, (char *) NULL);
        }
        return log_error_errno(-errno, "cannot run the shell %s: %m", shell);
}
