#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The homefs demo: an isolated agent, one home created, activated,
# used, deactivated, activated again, removed. Every step is printed. Run as root:
#   tests/demo.sh [BUILD_DIR]     the binaries of a build (default: build)
#   tests/demo.sh --installed     the installed ones (a package, meson install)
set -u
if [ "${1:-}" = --installed ]; then
        AGENT=$(PATH=/usr/local/sbin:/usr/sbin:/sbin:$PATH command -v homefs-agent) || { echo "homefs-agent is not installed"; exit 1; }
        CTL=$(command -v homefsctl) || { echo "homefsctl is not installed"; exit 1; }
        AGENT_ARGS=() # the installed agent knows where homefsd and the engine are
else
        B=$(cd "${1:-build}" && pwd)
        AGENT=$B/keyagent/homefs-agent
        CTL=$B/admin/homefsctl
        AGENT_ARGS=(--homefsd="$B/fs/homefsd" --cryptdev="$B/cryptdev/homefs-cryptdev")
fi
T=$(mktemp -d /tmp/homefs-demo.XXXXXX)
chmod 755 "$T"
export HOMEFS_STATE_DIR=$T/state HOMEFS_RUNTIME_DIR=$T/run
U=homefsdemo
H=$T/home/$U
PW='demo password'
AGENT_PID=

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
die() { printf '\ndemo FAILED: %s\n' "$*"; exit 1; }

cleanup() {
        step "cleaning up"
        if [ -n "$AGENT_PID" ]; then
                kill -TERM "$AGENT_PID" 2>/dev/null
                for _ in $(seq 100); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$AGENT_PID" 2>/dev/null
        fi
        for m in $(awk -v t="$T" 'index($2, t) == 1 { print $2 }' /proc/self/mounts | sort -r); do umount -l "$m"; done
        for l in $(losetup -a | grep -F "$T" | cut -d: -f1); do losetup -d "$l"; done
        getent passwd "$U" >/dev/null && userdel "$U"
        getent group "$U" >/dev/null && groupdel "$U"
        rm -rf "$T"
        echo "done"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || die "run as root"
getent passwd "$U" >/dev/null && die "a user '$U' exists already on this machine; remove it first"
mkdir -p "$T/home"

step "starting homefs-agent (state in $HOMEFS_STATE_DIR, runtime in $HOMEFS_RUNTIME_DIR)"
"$AGENT" "${AGENT_ARGS[@]}" 2>"$T/agent.log" &
AGENT_PID=$!
for _ in $(seq 100); do [ -S "$HOMEFS_RUNTIME_DIR/agent.sock" ] && break; sleep 0.1; done
[ -S "$HOMEFS_RUNTIME_DIR/agent.sock" ] || { cat "$T/agent.log"; die "the agent did not start"; }

step "creating a home for $U: 256 MiB sparse LUKS2 image, password from stdin"
printf '%s\n' "$PW" | run "$CTL" create "$U" --real-name="homefs demo" --home-dir="$H" --image-path="$T/$U.home" \
        --disk-size=256M --luks-pbkdf-type=pbkdf2 --luks-pbkdf-force-iterations=1000 || die "create"
run ls -ls "$T/$U.home"

step "homefsctl list"
run "$CTL" list || die "list"

step "the home is locked: its path exists, but every access is refused"
run stat -c '%n: owner %U, mode %a' "$H"
run ls "$H" && die "ls of a locked home succeeded"

step "unlocking with the password"
printf '%s\n' "$PW" | run "$CTL" unlock "$U" || die "unlock"
run "$CTL" list

step "writing and reading a file as $U"
run setpriv --reuid="$U" --regid="$U" --clear-groups sh -c "echo 'hello from an encrypted home' > '$H/hello.txt'" || die "write"
run setpriv --reuid="$U" --regid="$U" --clear-groups cat "$H/hello.txt" || die "read"
run ls -la "$H"

step "locking"
run "$CTL" deactivate "$U" || die "deactivate"
run cat "$H/hello.txt" && die "the file is readable while locked"

step "unlocking again: the file is intact"
printf '%s\n' "$PW" | run "$CTL" unlock "$U" || die "unlock"
run cat "$H/hello.txt" || die "read after unlock"

step "removing the home"
run "$CTL" remove --force "$U" || die "remove"
run "$CTL" list
echo
echo "demo completed"
