#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every agent method x every kind of caller (root, the home's owner with and
# without valid credentials, another user, nobody): the expected verdict, and
# 0 unexpected allows. The matrix itself is in authz-matrix.py.
. "$(dirname "$0")/lib.sh"
need_privileges

start_agent
new_user_name A a
new_user_name B b
new_user_name X x # created by root in the matrix
remember_secret pw-a
ok "create home A" create_home "$A" pw-a
ok "create home B" create_home "$B" pw-b
# The matrix prints its own TAP; renumber it into ours.
while IFS= read -r line; do
        case "$line" in
        "ok "*) ok "${line#ok [0-9]* - }" true ;;
        "not ok "*) ok "${line#not ok [0-9]* - }" false ;;
        esac
done < <("$PYTHON" "$(dirname "$0")/authz-matrix.py" "$HOMEFS_RUNTIME_DIR/agent.sock" \
        "${HOMEFS_SOURCE_ROOT:-$(dirname "$0")/../..}/docs/protocol.md" "$T/home/$A" "$(id -u "$A")" pw-a "$(id -u "$B")" "$X")
ok "remove A" "$CTL" remove --force "$A"
ok "remove B" "$CTL" remove "$B"
finish
