#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Key hygiene: after lock, the volume key is nowhere in the memory of any
# homefs process; processes that hold secrets cannot dump core; the test's
# passwords never reach the logs.
. "$(dirname "$0")/lib.sh"
need_privileges
command -v cryptsetup >/dev/null || skip_all "cryptsetup (cryptsetup-bin) is not installed"

start_agent
new_user_name U k
PW='hygiene-Pa55word!'
ok "create" create_home "$U" "$PW"
IMG=$T/$U.home

# The test learns the volume key the independent way.
printf '%s' "$PW" >"$T/pw"
cryptsetup luksDump --dump-volume-key --batch-mode --key-file="$T/pw" "$IMG" >"$T/dump" 2>&1
rm -f "$T/pw"
KEY=$(sed -n '/MK dump:/,$p' "$T/dump" | sed 's/MK dump://' | tr -cd '0-9a-f')
rm -f "$T/dump"
ok "the volume key was read with cryptsetup (64 bytes)" test ${#KEY} -eq 128

# search_memory PID...: exit 1 if the key (or either XTS half) is found.
search_memory() { "$PYTHON" "$(dirname "$0")/helpers/search-key.py" "$KEY" "$@"; }

homefs_pids() { pgrep -f "^($AGENT|$HOMEFSD|$CRYPTDEV)( |$)"; }

ok "unlock" unlock_home "$U" "$PW"
CD_PID=$(pgrep -f "^$CRYPTDEV .*$HOMEFS_RUNTIME_DIR/" | head -1)
key_present() { ! search_memory "$@" >/dev/null; }
# The control: the search does find key material where it must be.
ok "while unlocked, the crypto engine holds key material (the search works)" key_present "$CD_PID"
ok "while unlocked, the agent and homefsd hold no key material (wiped after activation)" \
        search_memory "$AGENT_PID" $(pgrep -f "^$HOMEFSD $U")
ok "the crypto engine runs with core dumps off" grep -qE '^Max core file size +0 +0' "/proc/$CD_PID/limits"
ok "the agent runs with core dumps off" grep -qE '^Max core file size +0 +0' "/proc/$AGENT_PID/limits"
echo data >"$T/home/$U/file"
ok "deactivate" "$CTL" deactivate "$U"
ok "no crypto engine is left" test -z "$(pgrep -f "^$CRYPTDEV .*$HOMEFS_RUNTIME_DIR/")"
pids=$(homefs_pids | tr '\n' ' ')
diag "searched: $pids"
ok "after lock, no homefs process holds any part of the volume key" search_memory $pids

# More secrets through the agent, for the log check that finish() makes.
remember_secret WrongPa55-xyz
remember_secret NewPa55-hygiene
ok "unlock with a wrong password" sh -c "! printf 'WrongPa55-xyz\n' | '$CTL' unlock '$U' 2>/dev/null"
ok "passwd" sh -c "printf '%s\n%s\n' '$PW' 'NewPa55-hygiene' | '$CTL' passwd '$U'"
ok "remove" "$CTL" remove "$U"
finish
