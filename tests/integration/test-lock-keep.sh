#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Lock with sessions kept (homed's lock) on a real home: a session process
# with a file open for read and write, its cwd in the home and a home file
# mapped survives lock and unlock; a write issued while locked completes
# after unlock; the key is in no homefs process while locked; a wrong
# password leaves it locked; lock and unlock lose no dirty data; deactivating
# a locked home fails the held requests with EIO and leaves nothing mounted.
. "$(dirname "$0")/lib.sh"
need_privileges
command -v cryptsetup >/dev/null || skip_all "cryptsetup (cryptsetup-bin) is not installed"

# 1 GiB of dirty data; 256 MiB under the sanitizers (the engine is slower).
DIRTY_MIB=1024
build_is_sanitized && DIRTY_MIB=256
SSHSTUB=$B/sshstub/homefs-sshstub

start_agent
new_user_name U lk
PW='lock-keep-Pa55'
H=$T/home/$U
ok "create a home" create_home "$U" "$PW" --disk-size=$((DIRTY_MIB + 512))M
ok "unlock it" unlock_home "$U" "$PW"
[ "$tap_failed" -eq 0 ] || fail_now "cannot go on without an unlocked home"

printf '%s' "$PW" >"$T/pw"
cryptsetup luksDump --dump-volume-key --batch-mode --key-file="$T/pw" "$T/$U.home" >"$T/dump" 2>&1
rm -f "$T/pw"
KEY=$(sed -n '/MK dump:/,$p' "$T/dump" | sed 's/MK dump://' | tr -cd '0-9a-f')
rm -f "$T/dump"
search_memory() { "$PYTHON" "$(dirname "$0")/helpers/search-key.py" "$KEY" "$@"; }
homefs_pids() { pgrep -f "^($AGENT|$HOMEFSD|$CRYPTDEV)( |$)" | tr '\n' ' '; }
CD_PID=$(pgrep -f "^$CRYPTDEV .*$HOMEFS_RUNTIME_DIR/")
ok "while active the engine holds the key (the scan works)" sh -c "! '$PYTHON' '$(dirname "$0")/helpers/search-key.py' '$KEY' $CD_PID >/dev/null"

# --- a session process holding the home -------------------------------------
S=$(mktemp -d /tmp/homefs-lock-keep.XXXXXX)
on_cleanup "rm -rf '$S'"
for root in /sys/fs/cgroup /sys/fs/cgroup/unified; do on_cleanup "rmdir '$root/homefs/$U'"; done
chmod 755 "$S"
mkfifo -m 666 "$S/go"
cp "$(dirname "$0")/helpers/lock-holder.py" "$S/holder.py"
chmod 644 "$S/holder.py"
chmod 1777 "$S"  # sticky: the user writes here, but cannot replace root's files (holder.py, the FIFO)
dd if=/dev/urandom of="$H/mapped" bs=64K count=16 status=none
: >"$H/data"
chown "$U:$U" "$H/mapped" "$H/data"
# A real SSH login: homefs-sshstub execs the user's shell in the home, as
# sshd would. The home was activated by hand and no session holds it, so the
# stub takes no session (its end must not deactivate a home it did not
# activate).
run_as "$U" env SSH_ORIGINAL_COMMAND="exec $PYTHON $S/holder.py $S" "$SSHSTUB" >"$S/holder.log" 2>&1 &
HOLDER=$!
wait_until 10 test -e "$S/ready"
ok "the session process is ready (fd open, cwd in the home, file mapped)" test -e "$S/ready"

# --- lock ---------------------------------------------------------------------
t0=$(date +%s%N)
ok "homefsctl lock (sessions kept)" "$CTL" lock "$U"
t1=$(date +%s%N)
LOCK_MS=$(( (t1 - t0) / 1000000 ))
ok "the state is locked" test "$(home_state "$U")" = locked
ok "the front stays mounted" grep -qF " $H fuse" /proc/self/mounts
CG=""
for root in /sys/fs/cgroup /sys/fs/cgroup/unified; do
        [ -f "$root/cgroup.controllers" ] && [ -d "$root/homefs/$U" ] && CG=$root/homefs/$U && break
done
if [ -n "$CG" ]; then
        ok "the session's cgroup is frozen" grep -qx "frozen 1" "$CG/cgroup.events"
        ok "the session process is in it" grep -qx "$(pgrep -P "$HOLDER" -f holder.py || echo "$HOLDER")" "$CG/cgroup.procs"
else
        diag "no cgroup v2 here: the session is not frozen (the agent's log says so)"
        ok "the agent says it cannot freeze" grep -q "processes are not frozen" "$T/agent.log"
fi
pids=$(homefs_pids)
diag "searched: $pids"
ok "while locked, no homefs process holds any part of the volume key" search_memory $pids

# A writer outside the session (not frozen): it must wait, not fail.
sh -c "echo late >'$H/late'; echo \$? >'$S/late.rc'" &
LATE=$!
sleep 1
ok "a write issued while locked waits" sh -c "kill -0 $LATE && ! test -e '$S/late.rc'"

ok "unlock with a wrong password fails" sh -c "! printf 'Wrong-Pa55\n' | '$CTL' unlock '$U' 2>/dev/null"
ok "... and leaves the home locked" test "$(home_state "$U")" = locked
remember_secret Wrong-Pa55
ok "activate does not resume a locked home" sh -c "! printf '%s\n' '$PW' | '$CTL' activate '$U' 2>/dev/null"
ok "... it stays locked" test "$(home_state "$U")" = locked

t0=$(date +%s%N)
ok "unlock resumes it" unlock_home "$U" "$PW"
t1=$(date +%s%N)
UNLOCK_MS=$(( (t1 - t0) / 1000000 ))
ok "the state is active" test "$(home_state "$U")" = active
wait "$LATE"
ok "the write issued while locked completed" test "$(cat "$S/late.rc")" = 0 -a "$(cat "$H/late")" = late
echo go >"$S/go"
wait_until 10 test -e "$S/result"
ok "the session process read and wrote its open file, its mapping and its cwd after unlock" \
        test "$(cat "$S/result" 2>/dev/null)" = ok
wait "$HOLDER"
ok "the login's end leaves the home active (activated by hand, no session taken)" test "$(home_state "$U")" = active
ok "deactivate" "$CTL" deactivate "$U"
ok "unlock" unlock_home "$U" "$PW"
ok "its writes are in the home" sh -c "head -c 4096 '$H/data' | tr -d B | wc -c | grep -qx 0 && head -c 4 '$H/mapped' | grep -qx ZZZZ"
diag "lock (sessions kept) took $LOCK_MS ms, unlock (resume, pbkdf2 1000 iterations) $UNLOCK_MS ms"
grep -E "locked $U, sessions kept|resumed $U" "$T/agent.log" | sed 's/^/# agent: /'

# --- dirty data -------------------------------------------------------------
dd if=/dev/urandom of="$T/big" bs=1M count="$DIRTY_MIB" status=none
SUM=$(sha256sum <"$T/big")
ok "write $DIRTY_MIB MiB without syncing" dd if="$T/big" of="$H/big" bs=1M status=none
diag "dirty right after: $(grep -E '^(Dirty|Writeback):' /proc/meminfo | tr -s ' \n' ' ')"
rm -f "$T/big"
t0=$(date +%s%N)
ok "lock with the dirty data" "$CTL" lock "$U"
t1=$(date +%s%N)
diag "lock with $DIRTY_MIB MiB written: $(( (t1 - t0) / 1000000 )) ms"
ok "unlock" unlock_home "$U" "$PW"
ok "deactivate, unlock: the data read back from the image is intact" sh -c "
        '$CTL' deactivate '$U' >/dev/null && printf '%s\n' '$PW' | '$CTL' unlock '$U' >/dev/null &&
        test \"\$(sha256sum <'$H/big')\" = '$SUM'"
rm -f "$H/big"

# --- deactivate of a locked home ---------------------------------------------
echo held >"$H/held"
ok "lock again" "$CTL" lock "$U"
"$PYTHON" -c '
import errno, sys
try:
    open(sys.argv[1], "w").write("x")
except OSError as e:
    print(e, file=sys.stderr)
    sys.exit(0 if e.errno == errno.EIO else 2)
sys.exit(1)' "$H/newfile" &
HELD=$!
sleep 1
ok "a request is held" kill -0 "$HELD"
ok "deactivate the locked home" "$CTL" deactivate "$U"
wait "$HELD"
rc=$?
ok "the held request failed with EIO (rc $rc)" test "$rc" -eq 0
ok "the state is inactive (no key)" test "$(home_state "$U")" = inactive
ok "no engine, no loop device, no backing mount is left" sh -c "
        ! pgrep -f '^$CRYPTDEV .*$HOMEFS_RUNTIME_DIR/' &&
        ! losetup -a | grep -qF '$HOMEFS_RUNTIME_DIR/' &&
        ! grep -qF '$HOMEFS_RUNTIME_DIR/' /proc/self/mounts"
ok "an inactive home cannot be locked" sh -c "! '$CTL' lock '$U' 2>/dev/null"

# deactivate-all (shutdown) takes locked homes down too.
ok "unlock" unlock_home "$U" "$PW"
ok "lock" "$CTL" lock "$U"
ok "deactivate-all" "$CTL" deactivate-all
ok "... deactivated the locked home" test "$(home_state "$U")" = inactive
ok "... and left no engine" sh -c "! pgrep -f '^$CRYPTDEV .*$HOMEFS_RUNTIME_DIR/'"
finish
