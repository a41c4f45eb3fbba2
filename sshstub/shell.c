/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "sshstub.h"

int exec_user_shell(const struct passwd *pw) {
        const char *shell = pw->pw_shell && pw->pw_shell[0] ? pw->pw_shell : "/bin/sh";
        const char *base = strrchr(shell, '/') ? strrchr(shell, '/') + 1 : shell;
        const char *command = getenv("SSH_ORIGINAL_COMMAND");
        _cleanup_free_ char *cmd = command ? strdup(command) : NULL;
        char login_name[256];

        if (command && !cmd)
                return log_error_errno(-ENOMEM, "Out of memory.");
        if (chdir(pw->pw_dir) < 0) {
                log_warning("Could not enter the home directory %s: %m.", pw->pw_dir);
                if (chdir("/") < 0)
                        return log_error_errno(-errno, "Cannot enter /: %m.");
        }
        /* Plain sshd sets no SSH_ORIGINAL_COMMAND: neither do we. */
        unsetenv("SSH_ORIGINAL_COMMAND");
        if (cmd)
                execl(shell, base, "-c", cmd, (char *) NULL);
        else {
                snprintf(login_name, sizeof(login_name), "-%s", base);
                execl(shell, login_name, (char *) NULL);
        }
        return log_error_errno(-errno, "Cannot run the shell %s: %m.", shell);
}
