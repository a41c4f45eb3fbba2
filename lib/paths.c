/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/un.h>

#include "paths.h"

static const char *dir_from_env(const char *name, const char *fallback) {
        const char *e = getenv(name);

        /* Only absolute paths; anything else falls back to the default. */
        return e && e[0] == '/' ? e : fallback;
}

const char *homefs_state_dir(void) {
        return dir_from_env("HOMEFS_STATE_DIR", HOMEFS_STATE_DIR_DEFAULT);
}

const char *homefs_runtime_dir(void) {
        return dir_from_env("HOMEFS_RUNTIME_DIR", HOMEFS_RUNTIME_DIR_DEFAULT);
}

int homefs_agent_socket_path(char *buf, size_t size) {
        struct sockaddr_un sa;
        int n = snprintf(buf, size, "%s/agent.sock", homefs_runtime_dir());

        if (n < 0 || (size_t) n >= size || (size_t) n >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        return 0;
}
