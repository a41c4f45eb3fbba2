/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* What mount.homefs takes from the command line and the fstab options. */
struct mount_options {
        bool fake;       /* -f: do everything but mount */
        bool verbose;    /* -v */
        bool lazy;       /* umount -l */
        bool debug;      /* -o debug: homefsd --debug */
        unsigned threads; /* -o threads=N: homefsd --threads=N (0: its default) */
};

/* Parse "-o" options (comma-separated). Generic ones (defaults, rw, auto,
 * noauto, nofail, _netdev, user, nouser, nosuid, nodev, exec, noexec,
 * x-*, comment=*, helper=*, uhelper=*) are accepted and ignored: homefsd
 * always mounts nosuid and nodev. "ro" and unknown options are errors (printed). */
int mount_options_parse(const char *s, struct mount_options *mo);

/* One line of mountinfo (modified in place): true and the user if it is a
 * homefs mount at dir. */
bool mountinfo_line_user(char *line, const char *dir, char *user, size_t size);

/* The user whose home is mounted at dir, from /proc/self/mountinfo (type
 * fuse.homefs, source homefs:USER). -ENOENT if none is. */
#define USER_NAME_BUF 65
int mount_find_homefs_user(const char *dir, char *user, size_t size);
