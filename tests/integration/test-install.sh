#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# meson install into a DESTDIR: the expected files (install-files.txt, below
# the configured prefix) and nothing else, sane modes, units that name the
# installed paths, man pages that man(1) reads; uninstall removes them all.
set -u
B=${HOMEFS_BUILD_ROOT:?run through meson test}
S=${HOMEFS_SOURCE_ROOT:?run through meson test}
T=$(mktemp -d /tmp/homefs-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM PIPE HUP  # else a timeout (SIGTERM) skips the cleanup
n=0 failed=0
ok() {
        local what=$1; shift
        n=$((n + 1))
        if "$@" >&2; then echo "ok $n - $what"; else echo "not ok $n - $what"; failed=$((failed + 1)); fi
}

PREFIX=$(meson introspect "$B" --buildoptions | python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
D=$T/dest
ok "meson install --destdir" meson install -C "$B" --destdir "$D" --no-rebuild --quiet
[ -d "$D$PREFIX" ] || { echo "1..$n"; exit 1; }
(cd "$D$PREFIX" && find . \( -type f -o -type l \) -printf '%P\n' | sort) >"$T/got"
MULTIARCH=$(cc -print-multiarch 2>/dev/null)
grep -v '^#' "$S/tests/integration/install-files.txt" | sed "s|@MULTIARCH@|$MULTIARCH|" | sort >"$T/want"
ok "the installed files are the expected ones" diff -u "$T/want" "$T/got"
ok "nothing is installed outside the prefix" test -z "$(cd "$D" && find . \( -type f -o -type l \) -not -path ".$PREFIX/*")"
ok "binaries are executable" test -x "$D$PREFIX/bin/homefsctl" -a -x "$D$PREFIX/sbin/homefs-agent" -a -x "$D$PREFIX/sbin/mount.homefs"
ok "umount.homefs is a link to mount.homefs" test "$(readlink "$D$PREFIX/sbin/umount.homefs")" = mount.homefs
ok "the sleep hook is executable" test -x "$D$PREFIX/lib/systemd/system-sleep/homefs"
ok "the sleep hook runs the installed homefsctl" grep -q "ctl=\${HOMEFSCTL:-$PREFIX/bin/homefsctl}" "$D$PREFIX/lib/systemd/system-sleep/homefs"
# hook_runs SETTING PHASE EXPECTED: the hook with LOCK_ON_SUSPEND=SETTING (none:
# no setting) calls homefsctl with EXPECTED ("" for not at all).
printf '#!/bin/sh\necho "$*" >>"%s/ctl.log"\n' "$T" >"$T/fakectl"
chmod 755 "$T/fakectl"
hook_runs() {
        : >"$T/ctl.log"
        if [ "$1" = none ]; then : >"$T/sleep.conf"; else echo "LOCK_ON_SUSPEND=$1" >"$T/sleep.conf"; fi
        HOMEFS_SLEEP_CONFIG="$T/sleep.conf" HOMEFSCTL="$T/fakectl" sh "$D$PREFIX/lib/systemd/system-sleep/homefs" "$2" &&
                test "$(cat "$T/ctl.log")" = "$3"
}
ok "sleep hook: by default nothing" hook_runs none pre ""
ok "sleep hook: LOCK_ON_SUSPEND=yes locks, sessions kept, and deactivates what it cannot freeze" \
        hook_runs yes pre "--quiet lock-all --deactivate-unfrozen"
ok "sleep hook: LOCK_ON_SUSPEND=\"deactivate\" deactivates every home" hook_runs '"deactivate"' pre "--quiet deactivate-all"
ok "sleep hook: nothing after resume" hook_runs yes post ""
ok "... and it reads $PREFIX/etc or /etc's default/homefs" \
        grep -qE "HOMEFS_SLEEP_CONFIG:-(/etc|$PREFIX/etc)/default/homefs" "$D$PREFIX/lib/systemd/system-sleep/homefs"
DROPIN=$D$PREFIX/share/doc/homefs/examples/sshd_config.d/10-homefs.conf
ok "the sshd drop-in names the installed homefsctl and stub" \
        sh -c "grep -q '^ *AuthorizedKeysCommand $PREFIX/bin/homefsctl ssh-authorized-keys %u' '$DROPIN' && grep -q '^ *ForceCommand $PREFIX/libexec/homefs/homefs-sshstub' '$DROPIN'"
ok "sshd -T accepts the drop-in" sh -c "ssh-keygen -q -t ed25519 -N '' -f '$T/hk' && printf 'Include %s\nHostKey %s\n' '$DROPIN' '$T/hk' >'$T/sshd_config' && /usr/sbin/sshd -T -f '$T/sshd_config' -C user=root,host=h,addr=127.0.0.1 >/dev/null"
PAMDIR=$(ls -d "$D$PREFIX"/lib/*/security)
PAMNAME=pam_homefs.so
case "$PAMDIR" in "$D/usr/lib/"*) ;; *) PAMNAME=${PAMDIR#"$D"}/pam_homefs.so ;; esac
ok "the PAM snippets and the pam-auth-update profile name the module as libpam finds it ($PAMNAME)" \
        sh -c "grep -q '$PAMNAME\$' '$D$PREFIX/share/doc/homefs/examples/pam.d/common-auth' && grep -q '	$PAMNAME\$' '$D$PREFIX/share/pam-configs/homefs'"
ok "the service starts the installed agent" grep -q "^ExecStart=$PREFIX/sbin/homefs-agent --homefsd=$PREFIX/sbin/homefsd --cryptdev=$PREFIX/libexec/homefs/homefs-cryptdev" "$D$PREFIX/lib/systemd/system/homefs-agent.service"
ok "the service limits capabilities" grep -q "^CapabilityBoundingSet=CAP_SYS_ADMIN" "$D$PREFIX/lib/systemd/system/homefs-agent.service"
if command -v systemd-analyze >/dev/null; then
        # Staged, the binaries and man pages are not where the unit says.
        verify_clean() {
                systemd-analyze verify "$D$PREFIX/lib/systemd/system/homefs-agent.service" 2>&1 |
                        grep -v -e 'is not executable: No such file' -e "Command 'man " | tee /dev/stderr | grep -q . && return 1
                return 0
        }
        ok "systemd-analyze verify finds nothing else wrong with the service" verify_clean
fi
ok "tmpfiles makes /run/homefs" grep -q "^d /run/homefs 0755 root root" "$D$PREFIX/lib/tmpfiles.d/homefs.conf"
ok "man reads homefsctl(1)" sh -c "MANWIDTH=80 man -l '$D$PREFIX/share/man/man1/homefsctl.1' 2>/dev/null | grep -q 'run-when-unlocked'"
ok "man reads pam_homefs(8)" sh -c "MANWIDTH=80 man -l '$D$PREFIX/share/man/man8/pam_homefs.8' 2>/dev/null | grep -q 'runtime_dir'"
ok "man reads homefs-sshstub(8)" sh -c "MANWIDTH=80 man -l '$D$PREFIX/share/man/man8/homefs-sshstub.8' 2>/dev/null | grep -q 'AuthorizedKeysCommand'"
ok "man reads homefs-agent(8)" sh -c "MANWIDTH=80 man -l '$D$PREFIX/share/man/man8/homefs-agent.8' 2>/dev/null | grep -q 'RUNNING WITHOUT SYSTEMD'"
ok "man reads homefs-cryptdev(8)" sh -c "MANWIDTH=80 man -l '$D$PREFIX/share/man/man8/homefs-cryptdev.8' 2>/dev/null | grep -q 'aes-xts-plain64'"
ok "man reads mount.homefs(8)" sh -c "MANWIDTH=80 man -l '$D$PREFIX/share/man/man8/mount.homefs.8' 2>/dev/null | grep -q 'helper=homefs'"
ok "bash completion loads and completes verbs" bash -c ". '$D$PREFIX/share/bash-completion/completions/homefsctl'
        COMP_WORDS=(homefsctl res); COMP_CWORD=1; _homefsctl; [ \"\${COMPREPLY[*]}\" = resize ]"

# Under another prefix the examples name that prefix's paths, and the PAM
# module by its full path (libpam looks only in /usr/lib/<multiarch>/security).
local_prefix() {
        meson setup "$T/local" "$S" --prefix=/usr/local >/dev/null || return 1
        grep -q "AuthorizedKeysCommand /usr/local/bin/homefsctl" "$T/local/dist/10-homefs.conf" &&
                grep -q "ForceCommand /usr/local/libexec/homefs/homefs-sshstub" "$T/local/dist/10-homefs.conf" &&
                grep -q "/usr/local/lib/$MULTIARCH/security/pam_homefs.so\$" "$T/local/dist/common-auth" &&
                grep -q "/usr/local/lib/$MULTIARCH/security/pam_homefs.so\$" "$T/local/dist/pam-configs/homefs" &&
                grep -q "ExecStart=/usr/local/sbin/homefs-agent" "$T/local/dist/homefs-agent.service"
}
ok "configured for /usr/local, the examples name /usr/local's paths and the module's full path" local_prefix

completes() { # completes WORD...: the completion offers each word
        local w
        for w in "$@"; do
                bash -c ". '$D$PREFIX/share/bash-completion/completions/homefsctl'
                        COMP_WORDS=(homefsctl '${w%=}'); COMP_CWORD=1; _homefsctl; printf '%s\n' \"\${COMPREPLY[@]}\" | grep -qxE -- '${w%=}=?'" ||
                        { echo "# not completed: $w"; return 1; }
        done
}
ok "bash completion offers every verb of --help, remove-credential included" \
        completes $("$B/admin/homefsctl" --help | sed -n '/^Commands:/,/^$/p' | awk '/^  [a-z]/ { print $1 }')
ok "bash completion offers every option of --help, the credential options included" \
        completes $("$B/admin/homefsctl" --help | grep -o -- '--[a-z][a-z0-9-]*=\?' | sort -u)

ok "uninstall" ninja -C "$B" uninstall
ok "uninstall leaves no file behind" test -z "$( [ -d "$D" ] && cd "$D" && find . \( -type f -o -type l \))"
echo "1..$n"
[ "$failed" -eq 0 ]
