/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mount.homefs: its -o options and its reading of mountinfo lines. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mount-options.h"
#include "tap.h"

static void check_options(const char *s, int want_r, bool debug, unsigned threads) {
        struct mount_options mo = {};
        int r = mount_options_parse(s, &mo);

        if (want_r < 0)
                tap_ok(r == want_r, "options \"%s\" are refused (got %d)", s, r);
        else
                tap_ok(r == 0 && mo.debug == debug && mo.threads == threads,
                       "options \"%s\": debug=%d threads=%u (got %d, %d, %u)", s, debug, threads, r, mo.debug, mo.threads);
}

static void check_line(const char *line, const char *dir, const char *want_user) {
        char buf[1024], user[USER_NAME_BUF] = "";
        bool got;

        snprintf(buf, sizeof(buf), "%s", line);
        got = mountinfo_line_user(buf, dir, user, sizeof(user));
        if (want_user)
                tap_ok(got && strcmp(user, want_user) == 0, "%s: user %s (got %d, \"%s\")", dir, want_user, got, user);
        else
                tap_ok(!got, "%s: no homefs mount in \"%.40s...\" (got %d)", dir, line, got);
}

int main(void) {
        log_setup("test-mount-options", LOG_LEVEL_ERROR);

        check_options("defaults", 0, false, 0);
        check_options("defaults,nofail,helper=homefs,x-systemd.requires=homefs-agent.service", 0, false, 0);
        check_options("rw,auto,noauto,_netdev,nosuid,nodev,noatime,comment=x,uhelper=udisks2", 0, false, 0);
        check_options("debug", 0, true, 0);
        check_options("threads=3,debug", 0, true, 3);
        check_options("threads=1024", 0, false, 1024);
        check_options("", 0, false, 0);
        check_options(",,", 0, false, 0);
        check_options("threads=0", -EINVAL, false, 0);
        check_options("threads=1025", -EINVAL, false, 0);
        check_options("threads=3x", -EINVAL, false, 0);
        check_options("threads=", -EINVAL, false, 0);
        check_options("threads=-1", -EINVAL, false, 0);
        check_options("ro", -EINVAL, false, 0);
        check_options("defaults,bogus", -EINVAL, false, 0);
        check_options("allow_root", -EINVAL, false, 0);

        check_line("59 27 0:49 / /home/alice rw,nosuid,nodev,relatime - fuse.homefs homefs:alice rw,user_id=0",
                   "/home/alice", "alice");
        check_line("59 27 0:49 / /home/alice rw,nosuid shared:5 master:1 - fuse.homefs homefs:alice rw",
                   "/home/alice", "alice");
        check_line("59 27 0:49 / /home/my\\040home rw - fuse.homefs homefs:bob rw", "/home/my home", "bob");
        check_line("59 27 0:49 / /home/alice rw - fuse.homefs homefs:alice rw", "/home/alic", NULL);
        check_line("59 27 0:49 / /home/alice rw - fuse.sshfs homefs:alice rw", "/home/alice", NULL);
        check_line("59 27 0:49 / /home/alice rw - fuse.homefs alice rw", "/home/alice", NULL);
        check_line("59 27 0:49 / /home/alice rw - ext4 /dev/sda1 rw", "/home/alice", NULL);
        check_line("59 27 0:49 / /home/alice rw fuse.homefs homefs:alice", "/home/alice", NULL);
        check_line("garbage", "/home/alice", NULL);
        check_line("", "/home/alice", NULL);
        return tap_done();
}
