#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-fuzzer.sh FUZZER SEED_DIR: run a libFuzzer binary for
# HOMEFS_FUZZ_SECONDS (default 30) from the seeds; fails on any crash, leak
# or sanitizer report, leaving the input in the build dir (crash-*).
set -u
fuzzer=$1 seeds=$2
secs=${HOMEFS_FUZZ_SECONDS:-30}
work=$(mktemp -d /tmp/homefs-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
[ -d "$seeds" ] && [ -n "$(ls -A "$seeds")" ] || { echo "no seed corpus in $seeds" >&2; exit 1; }
# The first directory receives new inputs; the committed seeds stay as they are.
"$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$PWD/" "$work" "$seeds"
