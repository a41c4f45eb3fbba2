#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Debian package as an administrator gets it: dpkg-buildpackage builds it
# from a copy of this tree, lintian finds no error, it installs on this
# machine, the README demo runs against the installed binaries, and
# `apt-get purge` leaves no file of it behind (file lists compared).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "installing a package needs root"
for p in dpkg-buildpackage lintian dh; do
        command -v "$p" >/dev/null || { echo "Bail out! $p is missing (tests/run installs it)"; exit 1; }
done
if dpkg-query -W -f='${Status}' homefs 2>/dev/null | grep -q "ok installed"; then
        echo "Bail out! a homefs package is installed already; this test would remove it"
        exit 1
fi
S=${HOMEFS_SOURCE_ROOT:?}
on_cleanup "dpkg-query -W homefs >/dev/null 2>&1 && apt-get purge -y -qq homefs"

ok_log() { # ok_log LOG DESCRIPTION COMMAND...: ok, and on failure LOG's tail as TAP comments
        local log=$1 n=$tap_failed; shift
        ok "$@"
        [ "$tap_failed" -eq "$n" ] || tail -30 "$log" | sed 's/^/# /'
}

# Build from a copy: dpkg-buildpackage writes into the tree and next to it.
mkdir -p "$T/src/homefs"
tar -C "$S" --exclude=./.git --exclude='./build*' --exclude=./bench-results --exclude=./debian/homefs \
        --exclude=./obj-\* -cf - . | tar -C "$T/src/homefs" -xf -
build_pkg() { (cd "$T/src/homefs" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1; }
ok_log "$T/build.log" "dpkg-buildpackage -us -uc -b builds the package" build_pkg
deb=$(ls "$T"/src/homefs_*_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail_now "no .deb was built"
diag "built $(basename "$deb")"

lint() { lintian --fail-on error --suppress-tags-from-file /dev/null "$deb" >"$T/lintian.log" 2>&1; }
ok_log "$T/lintian.log" "lintian reports no errors" lint
diag "lintian: $(grep -c '^[EWI]:' "$T/lintian.log") remarks, $(grep -c '^E:' "$T/lintian.log") errors"

dpkg-deb -c "$deb" >"$T/contents"
has() { grep -q -- "$1" "$T/contents"; }
ok "the package holds the agent" has ' \./usr/sbin/homefs-agent$'
ok "the package holds homefsctl" has '/usr/bin/homefsctl$'
ok "the package holds the PAM module where libpam looks" has " \./lib/$(gcc -print-multiarch)/security/pam_homefs.so$"
ok "the package holds the unit" has ' \./lib/systemd/system/homefs-agent.service$'
ok "the package holds the man pages" has '/usr/share/man/man1/homefsctl.1.gz$'

# What the machine holds outside the volatile places, before and after.
snapshot() {
        find /usr /etc /var/lib /opt -xdev 2>/dev/null |
                grep -vE '^/var/lib/(dpkg|apt|ucf|systemd/deb-systemd|man-db)|^/etc/ld\.so\.cache$|^/etc/pam\.d/homefs-test-|^/etc/(passwd|group|shadow|gshadow|subuid|subgid)[-+]?$|\.lock$' |
                sort
}
snapshot >"$T/before"
had_group=$(getent group homefs >/dev/null && echo yes || echo no)

install_pkg() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >"$T/install.log" 2>&1; }
ok_log "$T/install.log" "the package installs (apt-get install ./homefs_*.deb)" install_pkg
ok "dpkg says it is installed" sh -c "dpkg-query -W -f='\${Status}' homefs | grep -q 'ok installed'"
ok "the homefs group exists" getent group homefs
ok "the installed agent runs" /usr/sbin/homefs-agent --version
demo() { "$S/tests/demo.sh" --installed >"$T/demo.log" 2>&1; }
ok_log "$T/demo.log" "the README demo runs against the installed binaries" demo
ok "the demo used the installed homefsctl" grep -q '^\$ /usr/bin/homefsctl create' "$T/demo.log"

purge_pkg() { DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq homefs >"$T/purge.log" 2>&1; }
ok_log "$T/purge.log" "apt-get purge homefs" purge_pkg
snapshot >"$T/after"
left() { diff "$T/before" "$T/after" >"$T/diff"; }
ok_log "$T/diff" "purge leaves nothing of the package behind (file lists before and after)" left
[ "$had_group" = yes ] || ok "the group is gone again" sh -c '! getent group homefs'
finish
