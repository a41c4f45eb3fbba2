/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A shared object that says when it is loaded: its constructor appends a line
 * to $HOMEFS_RUNTIME_DIR/module-loaded. It has no C_GetFunctionList, so a
 * PKCS#11 loader fails on it after loading it. test-hostile-image.sh names
 * it in image headers (it must never be loaded) and configures a copy as
 * the administrator's module (loaded, fails; the agent must survive). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void loaded(void) {
        const char *dir = getenv("HOMEFS_RUNTIME_DIR");
        char path[4096];
        int fd;

        if (!dir)
                return;
        snprintf(path, sizeof(path), "%s/module-loaded", dir);
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
                return;
        dprintf(fd, "%d\n", (int) getpid());
        close(fd);
}
