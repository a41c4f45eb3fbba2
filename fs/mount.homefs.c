/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mount.homefs: the mount(8) helper for homefs homes, so that an fstab line
 *
 *     alice  /home/alice  homefs  defaults,nofail  0 0
 *
 *     homefs:alice  /home/alice  homefs  defaults,nofail,helper=homefs  0 0
 *
 * (or a systemd mount unit with What=homefs:alice Type=homefs) mounts the
 * home of alice in the inactive state: it starts homefsd for alice, which
 * mounts the home directory and registers with homefs-agent, and waits until
 * it has. "alice" alone works too, but "homefs:alice" is what homefsd names
 * its mount, and libmount pairs the helper= it keeps in /run/mount/utab
 * with the mount only when the source is the same.
 *
 * Called as umount.homefs (a link; umount(8) runs umount.<helper>), it
 * deactivates the home first, unmounts it and waits for homefsd to exit.
 *
 * Exit statuses as mount(8) documents them for helpers: 0 success, 1 bad
 * usage, 32 the mount (or unmount) failed. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent-client.h"
#include "log.h"
#include "macro.h"
#include "mount-options.h"
#include "record.h"

#define EXIT_MOUNT_USAGE 1
#define EXIT_MOUNT_FAILURE 32
#define WAIT_STEPS 200          /* of 50 ms: 10 s */
#define WAIT_STEP_USEC 50000

/* The home's state as the agent sees it ("unmounted", "inactive", ...) into
 * buf; negative errno (error filled) if the agent cannot tell. */
static int home_state(const char *user, char *buf, size_t size, char *home_dir, size_t home_size,
                      struct agent_error *e) {
        _cleanup_(proto_conn_freep) struct proto_conn *c = NULL;
        struct json_object *params = json_object_new_object(), *reply = NULL, *v;
        int r;

        r = agent_connect(&c, e);
        if (r < 0) {
                json_object_put(params);
                return r;
        }
        json_object_object_add(params, "userName", json_object_new_string(user));
        r = agent_call(c, AGENT_INTERFACE ".Inspect", params, false, &reply, e);
        if (r < 0)
                return r;
        snprintf(buf, size, "%s", json_object_object_get_ex(reply, "state", &v) ? json_object_get_string(v) : "");
        if (home_dir)
                snprintf(home_dir, home_size, "%s",
                         json_object_object_get_ex(reply, "homeDirectory", &v) ? json_object_get_string(v) : "");
        json_object_put(reply);
        return 0;
}

static int report(const struct agent_error *e, const char *user) {
        char line[AGENT_ERROR_LINE_MAX];

        log_error("%s", agent_error_format(e, user, line, sizeof(line)));
        return EXIT_MOUNT_FAILURE;
}

/* homefsd lives next to this helper (sbindir, or the build tree). */
static int homefsd_path(char *buf, size_t size) {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (n <= 0)
                return -errno;
        self[n] = 0;
        if ((size_t) snprintf(buf, size, "%s/homefsd", dirname(self)) >= size)
                return -ENAMETOOLONG;
        return access(buf, X_OK) < 0 ? -errno : 0;
}

/* Start homefsd in its own session. Its output goes where ours goes, except
 * to a terminal, which it would outlive. */
static int start_homefsd(const char *path, const char *user, const char *dir, const struct mount_options *mo,
                         pid_t *ret) {
        char mountpoint[PATH_MAX + 16], threads[32];
        char *argv[8];
        size_t n = 0;
        pid_t pid = 0;

        snprintf(mountpoint, sizeof(mountpoint), "--mountpoint=%s", dir);
        argv[n++] = (char *) path;
        argv[n++] = mountpoint;
        if (mo->debug)
                argv[n++] = (char *) "--debug";
        if (mo->threads > 0) {
                snprintf(threads, sizeof(threads), "--threads=%u", mo->threads);
                argv[n++] = threads;
        }
        argv[n++] = (char *) user;
        argv[n] = NULL;

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                (void) setsid();
                if (null >= 0) {
                        dup2(null, STDIN_FILENO);
                        if (isatty(STDOUT_FILENO))
                                dup2(null, STDOUT_FILENO);
                        if (isatty(STDERR_FILENO))
                                dup2(null, STDERR_FILENO);
                }
                execv(argv[0], argv);
                _exit(127);
        }
        *ret = pid;
        return 0;
}

/* Wait until the agent sees the front (inactive, active or locked), or homefsd
 * died, or 10 s passed. */
static int wait_registered(const char *user, pid_t pid) {
        _cleanup_agent_error_ struct agent_error e = {};
        char state[32];
        int status;

        for (int i = 0; i < WAIT_STEPS; i++) {
                if (waitpid(pid, &status, WNOHANG) == pid)
                        return log_error_errno(EIO, "homefsd for %s exited at once (status %d); run it by hand with -d to see why",
                                               user, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                agent_error_clear(&e);
                if (home_state(user, state, sizeof(state), NULL, 0, &e) == 0 &&
                    (streq(state, "inactive") || streq(state, "active") || streq(state, "locked")))
                        return 0;
                usleep(WAIT_STEP_USEC);
        }
        return log_error_errno(ETIMEDOUT, "homefsd for %s did not register with homefs-agent within 10 s", user);
}

static int do_mount(const char *spec, const char *dir, const struct mount_options *mo) {
        const char *user = strncmp(spec, "homefs:", 7) == 0 ? spec + 7 : spec;
        _cleanup_agent_error_ struct agent_error e = {};
        char state[32], home_dir[PATH_MAX], homefsd[PATH_MAX];
        pid_t pid = 0;
        int r;

        if (!user_name_is_valid(user)) {
                log_error("'%s' is not a homefs user name; the fstab line is: homefs:USER HOMEDIR homefs OPTIONS 0 0", user);
                return EXIT_MOUNT_USAGE;
        }
        if (home_state(user, state, sizeof(state), home_dir, sizeof(home_dir), &e) < 0)
                return report(&e, user);
        if (!streq(home_dir, dir)) {
                log_error("the home of %s is %s, not %s; fix the fstab line", user, home_dir, dir);
                return EXIT_MOUNT_FAILURE;
        }
        if (!streq(state, "unmounted")) {
                log_info("the home of %s is already mounted (%s)", user, state);
                return 0;
        }
        if (mo->fake)
                return 0;
        r = homefsd_path(homefsd, sizeof(homefsd));
        if (r < 0) {
                log_error_errno(r, "homefsd not found next to mount.homefs (%s): %m", homefsd);
                return EXIT_MOUNT_FAILURE;
        }
        r = start_homefsd(homefsd, user, dir, mo, &pid);
        if (r < 0) {
                log_error_errno(r, "cannot start homefsd: %m");
                return EXIT_MOUNT_FAILURE;
        }
        if (wait_registered(user, pid) < 0)
                return EXIT_MOUNT_FAILURE;
        if (mo->verbose)
                log_info("mounted the home of %s at %s, inactive", user, dir);
        return 0;
}

/* umount: deactivate, unmount, wait until homefsd is gone (the agent sees
 * the front's connection close: state unmounted). */
static int do_umount(const char *dir, const struct mount_options *mo) {
        _cleanup_agent_error_ struct agent_error e = {};
        char user[USER_NAME_BUF], state[32];
        int r;

        r = mount_find_homefs_user(dir, user, sizeof(user));
        if (r < 0) {
                log_error_errno(r, "%s is not a mounted homefs home: %m", dir);
                return EXIT_MOUNT_FAILURE;
        }
        {
                _cleanup_(proto_conn_freep) struct proto_conn *c = NULL;
                struct json_object *params = json_object_new_object(), *reply = NULL;

                json_object_object_add(params, "userName", json_object_new_string(user));
                r = agent_connect(&c, &e);
                if (r >= 0)
                        r = agent_call(c, AGENT_INTERFACE ".Deactivate", params, false, &reply, &e);
                else
                        json_object_put(params);
                json_object_put(reply);
                if (r < 0)
                        return report(&e, user);
        }
        if (umount2(dir, mo->lazy ? MNT_DETACH : 0) < 0) {
                log_error_errno(errno, "cannot unmount %s: %m; the home is deactivated; close what is open in it (see 'homefsctl inspect %s') and try again",
                                dir, user);
                return EXIT_MOUNT_FAILURE;
        }
        for (int i = 0; i < WAIT_STEPS; i++) {
                agent_error_clear(&e);
                if (home_state(user, state, sizeof(state), NULL, 0, &e) < 0 || streq(state, "unmounted"))
                        return 0;
                usleep(WAIT_STEP_USEC);
        }
        log_error("%s is unmounted, but homefsd for %s is still running", dir, user);
        return EXIT_MOUNT_FAILURE;
}

static void help(const char *name) {
        printf("Usage: %s [homefs:]USER HOMEDIR [-fnsv] [-o OPTIONS]\n"
               "       umount.homefs HOMEDIR [-flnrv]\n"
               "\n"
               "The mount(8) helper of homefs: mounts the home of USER at HOMEDIR, inactive,\n"
               "by starting homefsd, which registers with homefs-agent. fstab:\n"
               "    homefs:USER  HOMEDIR  homefs  defaults,nofail,helper=homefs  0 0\n"
               "Options: debug (homefsd --debug), threads=N; the generic mount options\n"
               "(defaults, auto, noauto, nofail, _netdev, rw, nosuid, nodev, x-*) are\n"
               "accepted. See mount.homefs(8).\n", name);
}

int main(int argc, char **argv) {
        struct mount_options mo = {};
        const char *name = basename(argv[0]);
        bool umount_mode = strncmp(name, "umount", 6) == 0;
        int c, positional = umount_mode ? 1 : 2;

        log_setup(umount_mode ? "umount.homefs" : "mount.homefs", LOG_LEVEL_INFO);
        if (argc == 2 && streq(argv[1], "--help")) {
                help(name);
                return 0;
        }
        if (geteuid() != 0) {
                log_error("only root may mount or unmount homefs homes");
                return EXIT_MOUNT_FAILURE;
        }
        /* mount(8) passes the two positional arguments first. */
        if (argc < 1 + positional) {
                help(name);
                return EXIT_MOUNT_USAGE;
        }
        optind = 1 + positional;
        while ((c = getopt(argc, argv, "fnsvlrdo:N:t:")) >= 0) {
                switch (c) {
                case 'f':
                        mo.fake = true;
                        break;
                case 'v':
                        mo.verbose = true;
                        break;
                case 'l':
                        mo.lazy = true;
                        break;
                case 'o':
                        if (mount_options_parse(optarg, &mo) < 0)
                                return EXIT_MOUNT_USAGE;
                        break;
                case 'n': case 's': case 'r': case 'd': case 'N': case 't':
                        break; /* no mtab; sloppy; the rest is for other helpers */
                default:
                        return EXIT_MOUNT_USAGE;
                }
        }
        if (optind != argc || argv[positional][0] != '/') {
                log_error("expected %s; the directory must be absolute", umount_mode ? "HOMEDIR" : "USER HOMEDIR");
                return EXIT_MOUNT_USAGE;
        }
        if (umount_mode)
                return do_umount(argv[1], &mo);
        return do_mount(argv[1], argv[2], &mo);
}
