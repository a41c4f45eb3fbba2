/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which processes hold a home open: a working directory, root, open file or
 * mapping at or below the home directory. For inspect, and what a lock
 * reports (mapped pages stay readable in those processes). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "home-ops.h"
#include "log.h"
#include "macro.h"
#include "parse-util.h"

#define HOLDERS_MAX 64

static bool below(const char *path, const char *dir, size_t n) {
        return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/' || dir[n - 1] == '/');
}

static bool link_below(int proc_fd, const char *name, const char *dir, size_t n) {
        char target[PATH_MAX];
        ssize_t k = readlinkat(proc_fd, name, target, sizeof(target) - 1);

        if (k <= 0)
                return false;
        target[k] = 0;
        return below(target, dir, n);
}

static bool fds_below(int proc_fd, const char *dir, size_t n) {
        int fd = openat(proc_fd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;
        bool found = false;

        if (!d) {
                safe_close(fd);
                return false;
        }
        while (!found && (de = readdir(d)))
                found = de->d_name[0] != '.' && link_below(dirfd(d), de->d_name, dir, n);
        closedir(d);
        return found;
}

static bool maps_below(int proc_fd, const char *dir, size_t n) {
        int fd = openat(proc_fd, "maps", O_RDONLY | O_CLOEXEC);
        FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;
        char line[PATH_MAX + 128];
        bool found = false;

        if (!f) {
                safe_close(fd);
                return false;
        }
        while (!found && fgets(line, sizeof(line), f)) {
                char *path = strchr(line, '/');

                if (path) {
                        path[strcspn(path, "\n")] = 0;
                        found = below(path, dir, n);
                }
        }
        fclose(f);
        return found;
}

static void add_holder(struct json_object *arr, int proc_fd, pid_t pid) {
        char comm[64] = "";
        struct json_object *o = json_object_new_object();
        int fd = openat(proc_fd, "comm", O_RDONLY | O_CLOEXEC);
        ssize_t k = fd >= 0 ? read(fd, comm, sizeof(comm) - 1) : -1;

        safe_close(fd);
        /* Only the kernel's final newline goes: the name itself may hold
         * one (a process names itself), and the client escapes it. */
        if (k > 0 && comm[k - 1] == '\n')
                k--;
        comm[k > 0 ? k : 0] = 0;
        json_object_object_add(o, "pid", json_object_new_int(pid));
        json_object_object_add(o, "command", json_object_new_string(comm));
        json_object_array_add(arr, o);
}

typedef bool (*holds_fn)(int proc_fd, const char *dir, size_t n);

static bool holds_any(int proc_fd, const char *dir, size_t n) {
        return link_below(proc_fd, "cwd", dir, n) || link_below(proc_fd, "root", dir, n) ||
               fds_below(proc_fd, dir, n) || maps_below(proc_fd, dir, n);
}

/* Every process (but us) for which holds() says yes, at most HOLDERS_MAX. */
static struct json_object *scan(const char *home_dir, holds_fn holds) {
        struct json_object *arr = json_object_new_array();
        size_t n = strlen(home_dir);
        DIR *proc = opendir("/proc");
        struct dirent *de;

        if (!arr || !proc || n == 0) {
                if (proc)
                        closedir(proc);
                return arr;
        }
        while ((de = readdir(proc)) && json_object_array_length(arr) < HOLDERS_MAX) {
                pid_t pid;
                int fd;

                if (parse_pid(de->d_name, &pid) < 0 || pid == getpid())
                        continue;
                fd = openat(dirfd(proc), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                if (holds(fd, home_dir, n))
                        add_holder(arr, fd, pid);
                close(fd);
        }
        closedir(proc);
        return arr;
}

struct json_object *home_holders(const char *home_dir) {
        return scan(home_dir, holds_any);
}

/* Mappings show the user-visible path also when kernel passthrough maps the
 * backing file. */
struct json_object *home_mapped_by(const char *home_dir) {
        return scan(home_dir, maps_below);
}
