#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Crash safety (issue 10, point 1): kill -9, in the middle of a write load,
# of homefsd, of the agent and of homefs-cryptdev, each in turn. Afterwards:
# every file fsynced before the kill is intact after the next unlock, the
# decrypted filesystem is e2fsck -fn clean, nothing is left behind (loop
# devices, cryptdevs), the home path was never a usable bare directory, and
# the agent (watcher, or recovery when restarted) brings the home back locked.
. "$(dirname "$0")/lib.sh"
need_privileges
command -v cryptsetup >/dev/null || skip_all "cryptsetup (cryptsetup-bin) is not installed"
command -v e2fsck >/dev/null || skip_all "e2fsck (e2fsprogs) is not installed"

WRITER=$(dirname "$0")/helpers/sync-writer.py
start_agent
new_user_name U cr
H=$T/home/$U
IMG=$T/$U.home
PW='crash pw'
ok "create a home" create_home "$U" "$PW"
[ "$tap_failed" -eq 0 ] || fail_now "cannot go on without a home"

# start_load TAG: the user writes and fsyncs files into $H/TAG; wait until
# some are promised.
start_load() {
        run_as "$U" mkdir "$H/$1"
        : >"$T/$1.list"
        chown "$U" "$T/$1.list"
        setpriv --reuid="$U" --regid="$U" --clear-groups \
                /usr/bin/python3 "$WRITER" "$H/$1" "$T/$1.list" 2>>"$T/writer.log" &
        WRITER_PID=$!
        LIST=$T/$1.list
        wait_until 20 promised 20 && sleep 1 # then kill in full flow
}
promised() { [ "$(wc -l <"$LIST")" -ge "$1" ]; }
writer_gone() { ! kill -0 "$WRITER_PID" 2>/dev/null; }
stop_load() { kill -KILL "$WRITER_PID" 2>/dev/null; wait "$WRITER_PID" 2>/dev/null; }
state_is() { test "$(home_state "$U")" = "$1"; }
our_cryptdev() { pgrep -f "^$CRYPTDEV .*$HOMEFS_RUNTIME_DIR/"; }
no_cryptdev() { [ -z "$(our_cryptdev)" ]; }
no_loop() { ! losetup -a | grep -qF "$HOMEFS_RUNTIME_DIR/"; }
front_pid() { pgrep -f "^$HOMEFSD $U\$"; }

# The user can never write into the home path while it is not served.
never_bare() {
        local i
        for i in $(seq 20); do
                run_as "$U" sh -c "echo x > '$H/bare$i'" 2>/dev/null && return 1
                [ "$(stat -c %a "$H" 2>/dev/null)" = 0 ] && run_as "$U" ls "$H" >/dev/null 2>&1 && return 1
                sleep 0.1
        done
        return 0
}

# after_crash TAG: unlock again, check the promised files, lock, fsck.
after_crash() {
        local tag=$1
        ok "$tag: unlock again" unlock_home "$U" "$PW"
        ok "$tag: every file fsynced before the kill is intact" \
                run_as "$U" /usr/bin/python3 "$WRITER" --verify "$H/$tag" "$T/$tag.list"
        ok "$tag: lock" "$CTL" lock "$U"
        ok "$tag: e2fsck -fn of the decrypted filesystem is clean" image_fsck "$IMG" "$PW"
}

# --- homefsd ------------------------------------------------------------------
ok "unlock" unlock_home "$U" "$PW"
ok "homefsd: a write load runs" start_load hd
pid=$(front_pid)
t0=$(date +%s%N)
kill -KILL "$pid"
ok "homefsd: the home path is never a usable bare directory" never_bare
ok "homefsd: the writer gets an error and stops" wait_until 10 writer_gone
stop_load
ok "homefsd: the agent notices and locks the home" wait_until 10 state_is locked
diag "homefsd killed → home locked again in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
ok "homefsd: a new homefsd serves it locked" says_enokey ls "$H"
ok "homefsd: it is another process" test "$(front_pid)" != "$pid"
ok "homefsd: the agent says why" grep -Eq "homefsd (of|for) $U (died|is gone) while unlocked" "$T/agent.log"
ok "homefsd: no loop device left" no_loop
ok "homefsd: no cryptdev left" wait_until 10 no_cryptdev
after_crash hd

# --- the agent ----------------------------------------------------------------
ok "unlock" unlock_home "$U" "$PW"
ok "agent: a write load runs" start_load ag
front=$(front_pid)
kill -KILL "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null; AGENT_PID=
ok "agent: homefsd locks by itself, the writer gets an error" wait_until 10 writer_gone
stop_load
ok "agent: the home answers Required key not available" says_enokey ls "$H"
ok "agent: a cryptdev was left running" test -n "$(our_cryptdev)"
start_agent
ok "agent: restarted, it removes the stale cryptdev" wait_until 10 no_cryptdev
ok "agent: and the stale loop device" wait_until 10 no_loop
ok "agent: no stale cryptdev directory" test ! -e "$HOMEFS_RUNTIME_DIR/homes/$U/cryptdev"
ok "agent: the running homefsd is adopted" wait_until 10 state_is locked
ok "agent: the same process" test "$(front_pid)" = "$front"
ok "agent: the agent says so" grep -q "adopted the running homefsd of $U" "$T/agent.log"
after_crash ag

# --- homefs-cryptdev ----------------------------------------------------------
ok "unlock" unlock_home "$U" "$PW"

# Every fsync in the home reaches the image file: the engine calls
# fdatasync() on the image for each (the loop device's flush). Watched with
# strace on the running engine while the user fsyncs N new files.
traced() { grep -q "^TracerPid:[[:space:]]*[1-9]" "/proc/$1/status"; }
fsyncs_reach_image() {
        local pid n=5 out=$T/fdatasync.trace sp got
        pid=$(our_cryptdev) || return 1
        strace -f -qq -e trace=fdatasync -o "$out" -p "$pid" &
        sp=$!
        wait_until 10 traced "$pid" || { kill "$sp"; return 1; }
        run_as "$U" /usr/bin/python3 -c '
import os, sys
for i in range(int(sys.argv[2])):
    fd = os.open(os.path.join(sys.argv[1], "flushed%d" % i), os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"x" * 4096)
    os.fsync(fd)
    os.close(fd)' "$H" "$n" || { kill "$sp"; return 1; }
        kill -INT "$sp"
        wait "$sp" 2>/dev/null
        got=$(grep -c "fdatasync(.*= 0" "$out")
        diag "$n fsyncs in the home → $got fdatasync() of the image by the engine"
        [ "$got" -ge "$n" ]
}
ok "cryptdev: every fsync in the home makes the engine fdatasync the image (strace)" fsyncs_reach_image
ok "cryptdev: a write load runs" start_load cd
t0=$(date +%s%N)
kill -KILL "$(our_cryptdev)"
ok "cryptdev: the writer gets an error and stops" wait_until 20 writer_gone
stop_load
ok "cryptdev: the agent notices and locks the home" wait_until 10 state_is locked
diag "cryptdev killed → home locked in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
ok "cryptdev: the agent says why" grep -q "homefs-cryptdev of $U died" "$T/agent.log"
ok "cryptdev: no loop device left" wait_until 10 no_loop
ok "cryptdev: locked access says Required key not available" says_enokey ls "$H"
after_crash cd

ok "the writers saw errors, not hangs" test -s "$T/writer.log"
diag "$(tr '\n' ';' <"$T/writer.log")"
ok "remove the home" "$CTL" remove "$U"
finish
