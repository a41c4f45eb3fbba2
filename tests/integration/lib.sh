# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the integration tests: TAP output, an isolated agent (its own
# state and runtime directories, homes and images in a temp dir), and a
# cleanup that runs on every exit, even after a failure, and leaves no mount,
# loop device, process or user behind.

set -u

B=${HOMEFS_BUILD_ROOT:?run through meson test, or set HOMEFS_BUILD_ROOT}
AGENT=$B/keyagent/homefs-agent
CTL=$B/admin/homefsctl
HOMEFSD=$B/fs/homefsd
CRYPTDEV=$B/cryptdev/homefs-cryptdev
STUB=$B/sshstub/homefs-sshstub
# The system python: tests run it as other users too (a per-user python in
# PATH, like pyenv under /root, is not theirs to run).
PYTHON=/usr/bin/python3

tap_n=0
tap_failed=0

ok() {      # ok DESCRIPTION COMMAND...
        local what=$1; shift
        tap_n=$((tap_n + 1))
        # The command's own output goes to stderr: stdout is TAP only.
        if "$@" >&2; then
                echo "ok $tap_n - $what"
        else
                echo "not ok $tap_n - $what"
                tap_failed=$((tap_failed + 1))
        fi
}

not_ok_unless() { ok "$@"; }

diag() { printf '%s\n' "$*" | sed 's/^/# /'; } # every line a TAP comment

# A skip in TAP is the plan "1..0 # SKIP reason" with exit status 0 (meson
# counts a TAP test that exits 77 as an error, not a skip).
skip_all() {
        echo "1..0 # SKIP $*"
        exit 0
}

skip_one() { # skip_one DESCRIPTION REASON: one TAP test not run here
        tap_n=$((tap_n + 1))
        echo "ok $tap_n - $1 # SKIP $2"
}

# Skip the whole test where the agent is built without FEATURE (fido2,
# pkcs11: meson -Dfido2=, -Dpkcs11=); homefs-agent --version lists them.
require_feature() {
        case " $("$AGENT" --version) " in
        *" +$1 "*) ;;
        *) skip_all "homefs-agent is built without $1 (meson -D$1=disabled, or its library was missing)" ;;
        esac
}

fail_now() {
        tap_n=$((tap_n + 1))
        echo "not ok $tap_n - $*"
        tap_failed=$((tap_failed + 1))
        finish
}

no_sanitizer_reports() {
        ! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/agent.log" 2>/dev/null
}

# Every password a test uses; none may ever appear in the daemons' log.
TEST_SECRETS=()
remember_secret() { TEST_SECRETS+=("$1"); }

no_secret_in_log() {
        local s
        for s in "${TEST_SECRETS[@]}"; do
                grep -qF -- "$s" "$T/agent.log" 2>/dev/null && { echo "# a password is in the log"; return 1; }
        done
        return 0
}

# The agent process exists and is no zombie (a crashed child stays one
# until the shell reaps it).
agent_alive() {
        [ -n "$AGENT_PID" ] && [ -r "/proc/$AGENT_PID/status" ] && ! grep -q '^State:.*Z' "/proc/$AGENT_PID/status"
}

finish() {
        # The daemons' reports (sanitizers, leaks) are written when they exit.
        if [ -n "$AGENT_PID" ]; then
                # No input of any test may crash the agent: the one it started
                # last (or restarted on purpose) is still the one running.
                ok "the agent never crashed (pid $AGENT_PID still runs)" agent_alive
                stop_agent
                ok "the daemons exited without sanitizer reports" no_sanitizer_reports
                [ ${#TEST_SECRETS[@]} -eq 0 ] || ok "no password of this test reached the daemons' log" no_secret_in_log
        fi
        echo "1..$tap_n"
        [ "$tap_failed" -eq 0 ] && exit 0 || exit 1
}

need_privileges() {
        [ "$(id -u)" -eq 0 ] || skip_all "integration tests need root"
        [ -c /dev/fuse ] || skip_all "/dev/fuse is missing"
        [ -e /dev/loop-control ] || skip_all "loop devices are missing (/dev/loop-control)"
        for x in "$AGENT" "$CTL" "$HOMEFSD" "$CRYPTDEV"; do
                [ -x "$x" ] || { echo "Bail out! $x is not built"; exit 1; }
        done
}

T=$(mktemp -d /tmp/homefs-test.XXXXXX)
chmod 755 "$T"
export HOMEFS_STATE_DIR=$T/state
export HOMEFS_RUNTIME_DIR=$T/run
# The passwd shell of this run's homefs users (--login-shell): the SSH stub
# with this run's runtime directory, which su -l and sshd do not pass on.
LOGIN_SHELL=$T/login-shell
printf '#!/bin/bash\nexport HOMEFS_RUNTIME_DIR=%q\nexec -a "$0" %q "$@"\n' "$HOMEFS_RUNTIME_DIR" "$STUB" >"$LOGIN_SHELL"
chmod 755 "$LOGIN_SHELL"
AGENT_PID=
TEST_USERS=()
CLEANUP_CMDS=()

# on_cleanup CMD...: run CMD (a string for eval) first thing in the cleanup,
# for what a test starts beyond the agent (sshd, a tmux server).
on_cleanup() { CLEANUP_CMDS+=("$*"); }

# install_pam_service VAR TAG: a PAM service name unique to this run in $VAR;
# its file /etc/pam.d/$VAR (written by the test from stdin) goes in the cleanup.
install_pam_service() {
        local f
        # A run killed with SIGKILL could not clean up: drop its files.
        for f in /etc/pam.d/homefs-test-*-*; do
                [ -e "$f" ] && ! kill -0 "${f##*-}" 2>/dev/null && rm -f "$f"
        done
        printf -v "$1" 'homefs-test-%s-%s' "$2" "$$"
        cleanup_path "/etc/pam.d/${!1}"
        cat >"/etc/pam.d/${!1}"
}

# new_plain_user VAR TAG: a local user homefs does not manage (useradd), for
# the cleanup like new_user_name.
new_plain_user() {
        new_user_name "$1" "$2"
        useradd -M -d / -s /bin/sh "${!1}"
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_until() {
        local n=$(( $1 * 10 )); shift
        while [ "$n" -gt 0 ]; do
                "$@" 2>/dev/null && return 0
                sleep 0.1
                n=$((n - 1))
        done
        return 1
}

# The number of login sessions the agent counts for a home.
home_sessions() {
        "$CTL" inspect "$1" --json=short | python3 -c 'import json,sys; s=json.load(sys.stdin)["status"]; print(next(iter(s.values())).get("sessions", -1))'
}

# True if binaries of this build carry a sanitizer runtime (a setuid program
# or another program's dlopen cannot load such a PAM module).
build_is_sanitized() { ldd "$B/pam/pam_homefs.so" 2>/dev/null | grep -qE 'lib(a|ub)san'; }

# Run a program that loads pam_homefs.so; in a sanitizer build preload the
# runtimes it needs, and libcrypt, whose crypt() ASan intercepts and must
# find loaded at start (pam_unix dlopens it later).
with_pam_module() {
        if build_is_sanitized; then
                local pre
                pre=$(ldd "$B/pam/pam_homefs.so" | awk '/lib(a|ub)san/ { print $3 }' | tr '\n' ' ')
                pre+=$(ldd /usr/lib/*/security/pam_unix.so 2>/dev/null | awk '/libcrypt/ { print " " $3; exit }')
                LD_PRELOAD="$pre" ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=1" "$@"
        else
                "$@"
        fi
}
CLEANUP_PATHS=()

# cleanup_path PATH: remove PATH (a file or symlink outside $T) at exit.
cleanup_path() { CLEANUP_PATHS+=("$1"); }

# new_user_name VAR TAG: a user name unique to this run in $VAR, remembered
# for the cleanup (not in a subshell, or the cleanup would not know it).
new_user_name() {
        printf -v "$1" 'hf%s%s' "$2" "$$"
        TEST_USERS+=("${!1}")
}

# The agent binds its socket under another name and renames it into place
# once it listens, so the name never refuses a client; still, a test starts
# only once the agent answers (any answer will do: MethodNotFound comes at
# once, without taking a home's lock; root's connection counts against no
# bound).
agent_accepts() {
        "$PYTHON" - "$HOMEFS_RUNTIME_DIR/agent.sock" 2>/dev/null <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(30)
s.connect(sys.argv[1])
s.sendall(b'{"method":"io.homefs.Test.AreYouListening"}\0')
data = b""
while not data.endswith(b"\0"):
    chunk = s.recv(65536)
    if not chunk:
        sys.exit(1)
    data += chunk
PY
}

start_agent() {
        # A killed agent leaves its socket behind: wait for the new one.
        rm -f "$HOMEFS_RUNTIME_DIR/agent.sock"
        "$AGENT" --activation=userspace --homefsd="$HOMEFSD" --cryptdev="$CRYPTDEV" --login-shell="$LOGIN_SHELL" \
                "$@" >>"$T/agent.log" 2>&1 &
        AGENT_PID=$!
        for _ in $(seq 100); do
                [ -S "$HOMEFS_RUNTIME_DIR/agent.sock" ] && agent_accepts && return 0
                kill -0 "$AGENT_PID" 2>/dev/null || break
                sleep 0.1
        done
        echo "Bail out! the agent did not start; its log:"
        sed 's/^/# /' "$T/agent.log"
        exit 1
}

stop_agent() {
        [ -n "$AGENT_PID" ] || return 0
        kill -TERM "$AGENT_PID" 2>/dev/null
        for _ in $(seq 100); do
                kill -0 "$AGENT_PID" 2>/dev/null || break
                sleep 0.1
        done
        kill -KILL "$AGENT_PID" 2>/dev/null
        wait "$AGENT_PID" 2>/dev/null
        AGENT_PID=
}

# Processes started for this test run: their environment names our runtime dir.
our_pids() {
        local p
        for p in /proc/[0-9]*; do
                { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qx "HOMEFS_RUNTIME_DIR=$HOMEFS_RUNTIME_DIR" &&
                        echo "${p#/proc/}"
        done
}

# home_front USER: the pid of the homefsd this run's agent started for USER.
home_front() {
        local p
        for p in $(our_pids); do
                [ "$(cat "/proc/$p/comm" 2>/dev/null)" = homefsd ] &&
                        grep -qxF "$1" <(tr '\0' '\n' <"/proc/$p/cmdline") && { echo "$p"; return 0; }
        done
        return 1
}

cleanup() {
        local m l u p c
        for c in "${CLEANUP_CMDS[@]}"; do eval "$c" >/dev/null 2>&1; done
        stop_agent
        for p in $(our_pids); do kill -KILL "$p" 2>/dev/null; done
        # Mounts below the test dir, deepest first.
        for m in $(awk -v t="$T" 'index($2, t) == 1 { print $2 }' /proc/self/mounts | sort -r); do
                umount -l "$m" 2>/dev/null
        done
        for l in $(losetup -a 2>/dev/null | grep -F "$T" | cut -d: -f1); do
                losetup -d "$l" 2>/dev/null
        done
        for p in "${CLEANUP_PATHS[@]}"; do rm -f -- "$p"; done
        for u in "${TEST_USERS[@]}"; do
                # the agent's cgroup of the user's sessions (keyagent/freeze.c)
                rmdir "/sys/fs/cgroup/homefs/$u" "/sys/fs/cgroup/unified/homefs/$u" 2>/dev/null
                getent passwd "$u" >/dev/null && userdel "$u" 2>/dev/null
                getent group "$u" >/dev/null && groupdel "$u" 2>/dev/null
        done
        if [ -s "$T/agent.log" ] && [ "$tap_failed" -gt 0 ]; then
                echo "# agent log:"
                sed 's/^/#   /' "$T/agent.log"
        fi
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM PIPE HUP

# Create a home with cheap PBKDF in the test dir: create_home USER PASSWORD [ARGS...]
create_home() {
        local u=$1 pw=$2; shift 2
        remember_secret "$pw"
        printf '%s\n' "$pw" | "$CTL" create "$u" --home-dir="$T/home/$u" --image-path="$T/$u.home" \
                --enforce-password-policy=no --disk-size=256M --luks-pbkdf-type=pbkdf2 --luks-pbkdf-force-iterations=1000 "$@"
}

unlock_home() { remember_secret "$2"; printf '%s\n' "$2" | "$CTL" unlock "$1"; }

# The JSON of list and inspect (homectl's shapes; see homefsctl(1)) is read
# only through these helpers.
# home_state USER: its state as 'list --json' says, or "none".
home_state() {
        "$CTL" list --json=short | python3 -c 'import json,sys; print({h["name"]: h["state"] for h in json.load(sys.stdin)}.get(sys.argv[1], "none"))' "$1"
}

# home_record USER FIELD: the record field as JSON ("null" if unset).
home_record() {
        "$CTL" inspect --json=short "$1" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin).get(sys.argv[1])))' "$2"
}

# home_status USER FIELD: a field of inspect's runtime "status" section as
# JSON (state, sessions, credentials, holders, activation, diskSize, ...).
home_status() {
        "$CTL" inspect --json=short "$1" | python3 -c 'import json,sys; s=json.load(sys.stdin)["status"]; print(json.dumps(next(iter(s.values())).get(sys.argv[1])))' "$2"
}

# wait_state USER STATE: the agent starts fronts right after it starts
# listening, so give a fresh agent a moment (5 s at most).
wait_state() {
        local i
        for i in $(seq 50); do
                [ "$(home_state "$1")" = "$2" ] && return 0
                sleep 0.1
        done
        return 1
}

# True if the command's stderr or stdout mentions "Required key not available".
says_enokey() { "$@" 2>&1 | grep -q "Required key not available"; }

mkdir -p "$T/home"

# image_fsck IMAGE PASSWORD: check the decrypted filesystem of a locked home
# read-only (e2fsck -fn), through a cryptdev and a loop device started here
# with the volume key cryptsetup reads from the header. 0 if clean.
image_fsck() {
        local img=$1 pw=$2 dir=$T/fsck.$$.$RANDOM offset size loop c="" pid rc
        mkdir -p "$dir/mnt"
        printf '%s' "$pw" >"$dir/pw"
        cryptsetup luksDump --dump-volume-key --volume-key-file "$dir/vk" --key-file "$dir/pw" \
                --batch-mode "$img" >/dev/null || return 1
        offset=$(cryptsetup luksDump "$img" | awk '/^Data segments:/ { s = 1 } s && $1 == "offset:" { print $2; exit }')
        size=$(( $(stat -c %s "$img") - offset ))
        mkfifo "$dir/ready"
        "$CRYPTDEV" --image="$img" --offset="$offset" --size="$size" --sector-size=4096 --iv-tweak=0 \
                --key-fd=3 --ready-fd=4 "$dir/mnt" 3<"$dir/vk" 4>"$dir/ready" 2>>"$T/agent.log" &
        pid=$!
        read -r -t 10 -n 1 c <"$dir/ready"
        shred -u "$dir/vk" "$dir/pw"
        [ "$c" = 1 ] || { kill -KILL "$pid"; return 1; }
        loop=$(losetup --direct-io=on --sector-size 4096 --show -f "$dir/mnt/volume") || rc=1
        if [ -n "$loop" ]; then
                e2fsck -fn "$loop" >&2; rc=$?
                losetup -d "$loop"
        fi
        umount "$dir/mnt"
        wait "$pid"
        rm -rf "$dir"
        return "$rc"
}

# As USER: run_as USER COMMAND...
run_as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
