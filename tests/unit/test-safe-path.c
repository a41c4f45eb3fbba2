/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/safe-path.c: the walk that root uses for images, mountpoints and
 * PKCS#11 modules. Run as root it builds every kind of unsafe ancestor in a
 * temporary directory; run as another user its own directory is the unsafe
 * one. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "safe-path.h"
#include "tap.h"

static char dir[64];

static void path(char *buf, const char *rel) {
        snprintf(buf, PATH_MAX, "%s%s%s", dir, *rel ? "/" : "", rel);
}

/* safe_path_open(rel) fails with want and names bad_rel ("" for none). */
static void refused(const char *rel, int want, const char *bad_rel, const char *what) {
        char p[PATH_MAX], b[PATH_MAX], bad[PATH_MAX] = "";
        int fd;

        path(p, rel);
        path(b, bad_rel);
        fd = safe_path_open(p, O_RDONLY, bad, sizeof(bad));
        if (fd >= 0)
                close(fd);
        tap_ok(fd == want, "%s: %s (got %d, want %d)", what, rel, fd, want);
        tap_ok(streq(bad, b), "%s: names %s (got %s)", what, b, bad);
}

static void opens(const char *rel, const char *what) {
        char p[PATH_MAX], bad[PATH_MAX] = "";
        int fd;

        path(p, rel);
        fd = safe_path_open(p, O_RDONLY, bad, sizeof(bad));
        tap_ok(fd >= 0, "%s: %s opens (%d, %s)", what, rel, fd, bad);
        if (fd >= 0)
                close(fd);
}

static void mk(const char *rel, mode_t mode, uid_t uid) {
        char p[PATH_MAX];

        path(p, rel);
        if (mkdir(p, mode) < 0 || chmod(p, mode) < 0 || chown(p, uid, 0) < 0)
                tap_diag("mkdir %s: %s", p, strerror(errno));
}

static void touch(const char *rel) {
        char p[PATH_MAX];
        int fd;

        path(p, rel);
        fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (fd >= 0)
                close(fd);
}

static void as_root(void) {
        char p[PATH_MAX], t[PATH_MAX], bad[PATH_MAX];
        const char *name = NULL;
        int fd;

        mk("ok", 0755, 0);
        touch("ok/file");
        mk("gw", 0775, 0);
        touch("gw/file");
        mk("ow", 0757, 0);
        touch("ow/file");
        mk("user", 0755, 65534);
        touch("user/file");
        mk("sticky", 01777, 0);
        mk("sticky/child", 0755, 0);
        touch("sticky/child/file");
        mk("sticky/theirs", 0755, 65534);
        touch("sticky/theirs/file");
        touch("sticky/file");
        mk("ok/deep", 0755, 0);
        mk("ok/deep/er", 0755, 0);
        touch("ok/deep/er/file");
        path(p, "ok");
        path(t, "link");
        if (symlink(p, t) < 0)
                tap_diag("symlink: %s", strerror(errno));
        path(p, "ok/file");
        path(t, "ok/filelink");
        if (symlink(p, t) < 0)
                tap_diag("symlink: %s", strerror(errno));
        touch("notdir");

        opens("ok/file", "a root-only path");
        opens("ok/deep/er/file", "three root-only levels");
        opens("sticky/child/file", "a root directory below a sticky one");
        refused("gw/file", -EPERM, "gw", "a group-writable ancestor");
        refused("ow/file", -EPERM, "ow", "an other-writable ancestor");
        refused("user/file", -EPERM, "user", "an ancestor of another user");
        refused("sticky/theirs/file", -EPERM, "sticky/theirs", "a user's directory below a sticky one");
        refused("sticky/file", -EPERM, "sticky", "a sticky parent (others may add entries next to the file)");
        refused("link/file", -ELOOP, "link", "a symlinked ancestor");
        refused("ok/filelink", -ELOOP, "ok/filelink", "a symlink as the last component");
        refused("notdir/x", -ENOTDIR, "notdir", "a file as an ancestor");
        refused("missing/x", -ENOENT, "missing", "a missing ancestor");

        path(p, "ok//deep/er/file");
        fd = safe_path_open_parent(p, &name, bad, sizeof(bad));
        tap_ok(fd >= 0 && name && streq(name, "file"), "double slashes: the parent and the name 'file'");
        if (fd >= 0) {
                struct stat st;

                tap_ok(fstatat(fd, "file", &st, AT_SYMLINK_NOFOLLOW) == 0, "the parent fd is ok/deep/er");
                close(fd);
        }
}

int main(void) {
        char bad[PATH_MAX];
        int fd;

        snprintf(dir, sizeof(dir), "/tmp/test-safe-path.XXXXXX");
        if (!mkdtemp(dir)) {
                tap_ok(false, "mkdtemp: %s", strerror(errno));
                return tap_done();
        }
        tap_ok(safe_path_open("relative/x", O_RDONLY, bad, sizeof(bad)) == -EINVAL, "a relative path is refused");
        tap_ok(safe_path_open("/tmp/../etc/passwd", O_RDONLY, bad, sizeof(bad)) == -EINVAL, "'..' is refused");
        tap_ok(safe_path_open("/tmp/./x", O_RDONLY, bad, sizeof(bad)) == -EINVAL, "'.' is refused");
        tap_ok(safe_path_open("/", O_RDONLY, bad, sizeof(bad)) == -EINVAL, "'/' has no last component");
        fd = safe_path_open("/etc/passwd", O_RDONLY, bad, sizeof(bad));
        tap_ok(fd >= 0, "/etc/passwd opens");
        if (fd >= 0)
                close(fd);
        if (geteuid() == 0)
                as_root();
        else {
                touch("file");
                refused("file", -EPERM, "", "own directory of a non-root user");
        }
        {
                char cmd[PATH_MAX];

                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
                if (system(cmd) != 0)
                        tap_diag("could not remove %s", dir);
        }
        return tap_done();
}
