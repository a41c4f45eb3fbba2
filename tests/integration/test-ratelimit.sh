#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Failed unlocks are rate limited per user with the record's burst and
# interval; the refusal says when to retry; the count survives an agent
# restart, even a kill -9; the stored state is root-only.
. "$(dirname "$0")/lib.sh"
need_privileges

start_agent
new_user_name U rl
ok "create a home" create_home "$U" right
[ "$tap_failed" -eq 0 ] || fail_now "cannot go on without a home"

# The record gets a burst of 3 per 12 s (the agent reads records at start;
# two restarts must fit in the window on a loaded machine).
stop_agent
REC=$HOMEFS_STATE_DIR/records/$U.yaml
printf 'rateLimitIntervalUSec: 12000000\nrateLimitBurst: 3\n' >>"$REC"
start_agent
ok "the agent accepted the record" wait_state "$U" locked # the fronts start just after the socket

wrong() { ! printf 'wrong\n' | "$CTL" unlock "$U" >"$T/out" 2>&1 && grep -qi 'wrong password' "$T/out"; }
limited() { # limited PASSWORD: refused without trying, with a time to retry
        ! printf '%s\n' "$1" | "$CTL" unlock "$U" >"$T/out" 2>&1 &&
                grep -Eq 'try again in [0-9]+ s' "$T/out" || { cat "$T/out"; false; }
}
ok "1st wrong password: bad credentials" wrong
ok "2nd wrong password: bad credentials" wrong
ok "3rd wrong password: bad credentials" wrong
t_limit=$(date +%s%N)
ok "4th attempt refused, saying when to retry" limited wrong
diag "$(cat "$T/out")"
ok "even the right password is refused now" limited right
ok "the state is kept root-only" test "$(stat -c '%a %U' "$HOMEFS_STATE_DIR/ratelimit")" = "700 root"
ok "the state file is 0600" test "$(stat -c '%a %U' "$HOMEFS_STATE_DIR/ratelimit/$U")" = "600 root"

kill -KILL "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null; AGENT_PID=
start_agent
ok "after kill -9 and restart, still refused" limited right
stop_agent
start_agent
ok "after a clean restart, still refused" limited right

# Wait for the window (12 s from the first failure) to end.
while [ $(( ($(date +%s%N) - t_limit) / 1000000 )) -lt 12500 ]; do sleep 0.2; done
ok "after the interval the right password unlocks" unlock_home "$U" right
ok "a success clears the count" sh -c "grep -q '^0 ' '$HOMEFS_STATE_DIR/ratelimit/$U'"
ok "lock" "$CTL" lock "$U"

# Default for a record without the fields: 10 per minute.
new_user_name D rd
ok "create a second home without limits in its record" create_home "$D" right
n=0
for _ in $(seq 12); do
        printf 'wrong\n' | "$CTL" unlock "$D" >"$T/out" 2>&1
        grep -qi 'wrong password' "$T/out" && n=$((n + 1))
done
ok "default: 10 wrong passwords are tried, then refused ($n)" test "$n" -eq 10
ok "the refusal says to wait up to a minute" sh -c "grep -Eq 'try again in ([1-5]?[0-9]|60) s' '$T/out'"
ok "remove forgets the count" sh -c "'$CTL' remove '$D' && test ! -e '$HOMEFS_STATE_DIR/ratelimit/$D'"
ok "remove the first home" "$CTL" remove "$U"
finish
