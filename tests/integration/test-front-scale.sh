#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# No file-count ceiling (issue 14, point 1): homefsd references inodes by
# file handle and keeps O_PATH fds only in a bounded cache. With homefsd's
# RLIMIT_NOFILE lowered to 4096 (prlimit on the running homefsd of a real
# home), untar 100,000 files, hard-link some (cp -al), find over every entry
# twice (200,000 entries), git clone a repository with more files than the
# limit: no EMFILE anywhere, homefsd's fd count stays below the limit and
# its RSS stays bounded (RSS per 100k cached inodes as a diag). A sanitizer
# build does a fifth of the work with a limit of 1024.
. "$(dirname "$0")/lib.sh"
need_privileges
command -v git >/dev/null || skip_all "git is missing"

# RSS_KB: the RSS growth allowed per cached inode (ASan's redzones and
# quarantine make every allocation dearer).
if build_is_sanitized; then LIMIT=1024 FILES=20000 RSS_KB=8; else LIMIT=4096 FILES=100000 RSS_KB=1; fi
DIRS=$((FILES / 200))
REPO_FILES=$((LIMIT + 904))
start_agent
new_user_name U sc
H=$T/home/$U
PW='scale pw'
t0=$(date +%s)
stamp() { diag "$1: $(( $(date +%s) - t0 )) s"; t0=$(date +%s); }
ok "create a home" create_home "$U" "$PW" --disk-size=2G
ok "unlock" unlock_home "$U" "$PW"
stamp "create and unlock"
[ "$tap_failed" -eq 0 ] || fail_now "cannot go on without an unlocked home"

FRONT=$(home_front "$U") || fail_now "homefsd of $U not found"
ok "homefsd's fd limit lowered to $LIMIT" prlimit --pid "$FRONT" --nofile=$LIMIT:$LIMIT
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$FRONT/status"; }
fds() { ls "/proc/$FRONT/fd" | wc -l; }

# The most fds homefsd held, sampled while the workloads run.
: >"$T/fds.max"
( max=0; while kill -0 "$FRONT" 2>/dev/null; do
        n=$(fds); [ "$n" -gt "$max" ] && { max=$n; echo "$max" >"$T/fds.max"; }; sleep 0.2
  done ) &
SAMPLER=$!
on_cleanup "kill $SAMPLER"

# The tree and the repository are made outside the home, as the user.
SRC=$T/src
mkdir -p "$SRC"
# Written straight as a tarball (faster than making the files first).
python3 - "$T/tree.tar" "$DIRS" "$FILES" <<'PY'
import io, sys, tarfile
out, dirs, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with tarfile.open(out, "w") as t:
    for d in range(dirs):
        i = tarfile.TarInfo(f"tree/d{d}"); i.type = tarfile.DIRTYPE; i.mode = 0o755
        t.addfile(i)
        for f in range(files // dirs):
            data = f"{d} {f}\n".encode() if f % 50 == 0 else b""
            i = tarfile.TarInfo(f"tree/d{d}/f{f}"); i.size = len(data); i.mode = 0o644
            t.addfile(i, io.BytesIO(data))
PY
mkdir "$SRC/repo"
python3 -c 'import os, sys
for i in range(int(sys.argv[2])):
    d = f"{sys.argv[1]}/m{i % 40}"
    os.makedirs(d, exist_ok=True)
    open(f"{d}/s{i}.c", "w").write(f"int f{i};\n")' "$SRC/repo" "$REPO_FILES"
git -C "$SRC/repo" init -q && git -C "$SRC/repo" add -A &&
        git -C "$SRC/repo" -c user.email=t@x -c user.name=t commit -qm tree
chown -R "$U:$U" "$SRC" "$T/tree.tar"
export HOME=$SRC # git as the user: not root's configuration
chmod 755 "$T"

RSS0=$(rss_kb)
# Each step as the user, its stderr kept for the EMFILE check.
untar() { run_as "$U" tar -C "$H" -xf "$T/tree.tar" 2>"$T/untar.err"; }
link_some() { run_as "$U" cp -al "$H/tree/d1" "$H/tree/d2" "$H/links" 2>"$T/cp.err"; }
clone() { run_as "$U" git clone -q "$SRC/repo" "$H/clone" 2>"$T/git.err"; }
clone_clean() {
        test "$(run_as "$U" git -C "$H/clone" ls-files | wc -l)" -eq "$REPO_FILES" &&
                test -z "$(run_as "$U" git -C "$H/clone" status --porcelain 2>"$T/status.err")"
}
stat_some() { run_as "$U" sh -c "stat -c %s '$H'/tree/d1?/* >/dev/null" 2>"$T/stat.err"; }
still_answers() {
        run_as "$U" ls "$H/tree/d0" >/dev/null && run_as "$U" sh -c "echo ok >'$H/after'" &&
                test "$(cat "$H/after")" = ok
}
stamp "tarball and repository"
ok "untar of $FILES files" untar
stamp "untar"
mkdir "$H/links" && chown "$U:$U" "$H/links"
ok "hard links to some of them (cp -al)" link_some
# Twice: the second walk finds most fds evicted and opens by handle.
ENTRIES=$(run_as "$U" find "$H" 2>"$T/find.err" | wc -l)
ENTRIES=$((ENTRIES + $(run_as "$U" find "$H" 2>"$T/find2.err" | wc -l) ))
stamp "cp -al, find twice"
ok "find (twice) sees every entry ($ENTRIES)" test "$ENTRIES" -ge $((2 * (FILES + DIRS)))
ok "a file and its hard link are one inode" test "$(stat -c %i "$H/tree/d1/f7")" = "$(stat -c %i "$H/links/d1/f7")"
ok "contents are intact through both names" sh -c "test \"\$(cat '$H/links/d2/f50')\" = '2 50' && cmp -s '$H/tree/d2/f50' '$H/links/d2/f50'"
ok "git clone of a $REPO_FILES-file repository" clone
ok "the clone is complete and clean" clone_clean
stamp "git clone + status"
ok "stat of the files in 20 directories" stat_some
ok "rm -r of the links" run_as "$U" rm -r "$H/links"
stamp "stat, rm -r"
for e in "$T"/*.err; do [ -s "$e" ] && diag "$(basename "$e"): $(head -c 300 "$e")"; done
ok "no 'Too many open files' anywhere" sh -c "! grep -qi 'too many open files' '$T'/*.err '$T/agent.log'"
ok "the home still answers" still_answers
FDMAX=$(cat "$T/fds.max")
FDNOW=$(fds)
RSS1=$(rss_kb)
diag "homefsd: at most $FDMAX fds open (limit $LIMIT), $FDNOW now; RSS ${RSS0} kB before, ${RSS1} kB after $ENTRIES entries"
diag "RSS per 100k cached inodes: $(( (RSS1 - RSS0) * 100000 / (FILES + DIRS) / 1024 )) MiB"
ok "homefsd's open fds stayed below the limit" test "$FDMAX" -lt "$LIMIT" -a "$FDNOW" -lt "$LIMIT"
# An fd per inode would be 100k; the bound is the cache: at most half the limit.
ok "homefsd's fd count is bounded by its cache, not the file count" test "$FDNOW" -le $((LIMIT / 2 + 64))
ok "homefsd's RSS is bounded (< $RSS_KB KiB per cached inode)" test $((RSS1 - RSS0)) -lt $(( (FILES + DIRS) * RSS_KB ))
ok "homefsd still runs" kill -0 "$FRONT"
ok "deactivate" "$CTL" deactivate "$U"
finish
