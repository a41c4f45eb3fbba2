/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who maps a home's files. Lock revokes every file descriptor (the backing
 * filesystem is shut down), but pages a process has already mapped stay in
 * its memory: that is the limit of any lock, so Lock names those processes.
 *
 * A mapping of a home file shows in /proc/PID/maps with the device number of
 * the homefsd mount, also when kernel passthrough maps the backing file
 * (the kernel reports the user-visible file). */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "macro.h"
#include "mapped.h"

static bool maps_have_dev(int procfd, int pid, dev_t dev) {
        char path[64], *line = NULL;
        size_t size = 0;
        bool found = false;
        FILE *f;
        int fd;

        snprintf(path, sizeof(path), "%d/maps", pid);
        fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        f = fdopen(fd, "re");
        if (!f) {
                close(fd);
                return false;
        }
        while (!found && getline(&line, &size, f) > 0) {
                unsigned maj, min;

                /* address perms offset dev inode path */
                if (sscanf(line, "%*s %*s %*s %x:%x", &maj, &min) == 2)
                        found = makedev(maj, min) == dev;
        }
        free(line);
        fclose(f);
        return found;
}

static void comm_of(int procfd, int pid, char comm[static 32]) {
        char path[64];
        ssize_t n;
        int fd;

        strcpy(comm, "?");
        snprintf(path, sizeof(path), "%d/comm", pid);
        fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        n = read(fd, comm, 31);
        close(fd);
        if (n <= 0)
                return (void) strcpy(comm, "?");
        comm[n] = 0;
        comm[strcspn(comm, "\n")] = 0;
}

static int add(struct json_object *list, int procfd, int pid) {
        struct json_object *o = json_object_new_object();
        char comm[32];

        if (!o)
                return -ENOMEM;
        comm_of(procfd, pid, comm);
        json_object_object_add(o, "pid", json_object_new_int(pid));
        json_object_object_add(o, "comm", json_object_new_string(comm));
        return json_object_array_add(list, o) < 0 ? -ENOMEM : 0;
}

struct json_object *mapped_by(const char *home_dir) {
        struct json_object *list;
        struct dirent *e;
        struct stat st;
        DIR *proc;

        if (stat(home_dir, &st) < 0)
                return NULL;
        proc = opendir("/proc");
        if (!proc)
                return NULL;
        list = json_object_new_array();
        while (list && (e = readdir(proc)) && json_object_array_length(list) < MAPPED_MAX) {
                int pid = atoi(e->d_name);

                if (pid <= 0 || pid == getpid())
                        continue;
                if (maps_have_dev(dirfd(proc), pid, st.st_dev) && add(list, dirfd(proc), pid) < 0) {
                        json_object_put(list);
                        list = NULL;
                }
        }
        closedir(proc);
        return list;
}
