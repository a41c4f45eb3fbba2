#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Unlocking a locked home over SSH with the key in the user's ssh-agent
# (homefs-ssh-agent tokens): a real ssh-agent and ssh-add, Debian's sshd on
# 127.0.0.1 with the dist/ snippet, ssh -A. Enrollment and its refusals, the
# token in the LUKS2 header, the keyslot opened by a passphrase recomputed
# independently from the documented format, logins with ed25519 and RSA keys
# (terminal and not), the fall back to the password, forged signatures.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/sshd.sh"
need_privileges
SSHD=/usr/sbin/sshd
STUB=$B/sshstub/homefs-sshstub
HELPERS=$(dirname "$0")/helpers
[ -x "$SSHD" ] || skip_all "sshd is not installed (apt install openssh-server)"
for p in ssh ssh-agent ssh-add ssh-keygen tmux; do
        command -v "$p" >/dev/null || skip_all "$p is not installed"
done
"$PYTHON" -c 'import cryptography' 2>/dev/null || skip_all "python3-cryptography is not installed"
[ -x "$STUB" ] || { echo "Bail out! $STUB is not built"; exit 1; }

S=$T/ssh
mkdir -p "$S"
ssh-keygen -q -t ed25519 -N '' -f "$S/host" -C host
ssh-keygen -q -t ed25519 -N '' -f "$S/ed" -C ed
ssh-keygen -q -t rsa -b 3072 -N '' -f "$S/rsa" -C rsa
ssh-keygen -q -t ed25519 -N '' -f "$S/other" -C other
ssh-keygen -q -t ecdsa -N '' -f "$S/ecdsa" -C ecdsa
cat "$S/ed.pub" "$S/rsa.pub" "$S/other.pub" >"$S/logins.pub"

# The user's ssh-agent (root's here: the ssh client runs as root).
export SSH_AUTH_SOCK=$S/agent.sock
ssh-agent -D -a "$SSH_AUTH_SOCK" >/dev/null 2>&1 &
SSH_AGENT_PID=$!
on_cleanup "kill $SSH_AGENT_PID"
wait_until 10 test -S "$SSH_AUTH_SOCK" || { echo "Bail out! ssh-agent did not start"; exit 1; }
agent_holds() { ssh-add -D >/dev/null 2>&1; local k; for k in "$@"; do ssh-add -q "$S/$k" 2>/dev/null || return 1; done; }

start_agent
new_user_name U a
new_user_name G g
# Other tests edit /etc/group at the same time: retry while it is locked.
wait_until 10 groupadd "$G" || fail_now "groupadd $G"
create_home "$U" pw-agent "--ssh-authorized-keys=@$S/logins.pub" >&2 || fail_now "create a home"
wait_until 10 usermod -aG "$G" "$U" || fail_now "usermod -aG $G $U"
IMG=$T/$U.home
echo "a file in the home" >"$T/note"
ok "write a file into the home" sh -c "printf 'pw-agent\n' | '$CTL' unlock '$U' && install -o '$U' -m 600 '$T/note' '$T/home/$U/note' && '$CTL' deactivate '$U'"

# Enrollment.
enroll() { printf 'pw-agent\n' | "$CTL" update "$U" "$@" 2>"$T/err"; }
refused_with() { # refused_with TEXT ARGS...: enrollment fails and says TEXT
        local text=$1; shift
        ! enroll "$@" && grep -qF "$text" "$T/err" || { sed 's/^/# /' "$T/err"; return 1; }
}
agent_holds ed rsa other ecdsa
ok "an ECDSA key is refused, saying why" refused_with "ECDSA signatures are randomized" "--ssh-unlock-key=@$S/ecdsa.pub"
SK="sk-ssh-ed25519@openssh.com $("$PYTHON" -c 'import base64,struct,sys; s=lambda b: struct.pack(">I", len(b)) + b; print(base64.b64encode(s(b"sk-ssh-ed25519@openssh.com") + s(bytes(32)) + s(b"ssh:")).decode())') sk"
ok "an sk- (FIDO) key is refused, saying why" refused_with "sign a counter that changes with every use" "--ssh-unlock-key=$SK"
agent_holds other
ok "a key that is not in the ssh-agent is refused" refused_with "not in the SSH agent" "--ssh-unlock-key=@$S/ed.pub"
ok "a private key file is refused" refused_with "This is a private key" "--ssh-unlock-key=@$S/ed"
ok "... nothing was enrolled" sh -c "! cryptsetup luksDump '$IMG' | grep -q homefs-ssh-agent"
agent_holds ed rsa
ok "update --ssh-unlock-key twice enrolls an ed25519 and an RSA key (signed by the ssh-agent)" \
        enroll "--ssh-unlock-key=@$S/ed.pub" "--ssh-unlock-key=$(cat "$S/rsa.pub")"
ok "... the same key again is refused" refused_with "enrolled already" "--ssh-unlock-key=@$S/ed.pub"
ok "cryptsetup luksDump shows two homefs-ssh-agent tokens" test "$(cryptsetup luksDump "$IMG" | grep -c 'homefs-ssh-agent')" = 2
token_json() { cryptsetup luksDump --dump-json-metadata "$IMG" | "$PYTHON" -c 'import json,sys; print(json.dumps(sorted(json.load(sys.stdin)["tokens"].values(), key=lambda t: t.get("ssh-signature-algorithm", ""))))'; }
ok "... with the key, salt and algorithm" sh -c "token_json=\$(cryptsetup luksDump --dump-json-metadata '$IMG'); echo \"\$token_json\" | grep -qF '\"ssh-signature-algorithm\":\"rsa-sha2-512\"' && echo \"\$token_json\" | grep -qF \"\$(cut -d' ' -f1,2 '$S/ed.pub')\" && echo \"\$token_json\" | grep -q '\"ssh-salt\"'"
ok "inspect lists both keys" sh -c "'$CTL' inspect '$U' | grep -F 'homefs-ssh-agent' | grep -qF \"\$(cut -d' ' -f2 '$S/rsa.pub')\" && '$CTL' inspect '$U' | grep -F 'homefs-ssh-agent' | grep -qF \"\$(cut -d' ' -f2 '$S/ed.pub')\""

# The format is pinned: python3-cryptography signs the documented challenge
# and runs the documented HKDF; cryptsetup opens the keyslot with that.
recomputed_opens() {
        local slot pass
        read -r slot pass < <("$PYTHON" "$HELPERS/ssh-unlock-passphrase.py" "$IMG" "$U" "$S/$1") || return 1
        printf '%s' "$pass" | cryptsetup open --test-passphrase --key-slot "$slot" --key-file=- "$IMG"
}
ok "the ed25519 keyslot opens with the independently recomputed passphrase" recomputed_opens ed
ok "the RSA keyslot opens with the independently recomputed passphrase" recomputed_opens rsa

ok "homefsctl unlock --ssh-agent unlocks with the key in the ssh-agent" "$CTL" unlock --ssh-agent "$U"
ok "... the home is active" test "$(home_state "$U")" = active
ok "deactivate" "$CTL" deactivate "$U"
agent_holds other
ok "homefsctl unlock --ssh-agent without an enrolled key in the ssh-agent fails, saying why" \
        sh -c "! '$CTL' unlock --ssh-agent '$U' 2>'$T/err' && grep -q 'None of the keys in your SSH agent is enrolled' '$T/err'"

# Who may have the challenges: the user and root; another user learns
# nothing, not even whether the home exists.
new_plain_user P p
challenges_as() { run_as "$1" "$PYTHON" "$HELPERS/agent-call.py" "$HOMEFS_RUNTIME_DIR/agent.sock" io.homefs.Agent.GetSshUnlockChallenges "{\"userName\":\"$2\"}"; }
two_challenges() { test "$(challenges_as "$U" "$U" | grep -o '"challenge"' | wc -l)" = 2; }
ok "the user gets the challenges of their two keys" two_challenges
other_sees() { challenges_as "$P" "$1" | grep -q PermissionDenied; }
ok "another user gets PermissionDenied" other_sees "$U"
ok "... the same for a user that does not exist" other_sees "nosuch$$"

# Forged signatures: refused, and counted by the rate limit.
count() { cut -d' ' -f1 "$HOMEFS_STATE_DIR/ratelimit/$U" 2>/dev/null || echo 0; }
unlock_sig() { # unlock_sig PUBLIC_KEY_LINE SIGNATURE_BASE64, as the user
        run_as "$U" "$PYTHON" "$HELPERS/agent-call.py" "$HOMEFS_RUNTIME_DIR/agent.sock" io.homefs.Agent.Unlock \
                "{\"userName\":\"$U\",\"sshAgentSignature\":{\"publicKey\":\"$1\",\"signature\":\"$2\"}}" >"$T/reply"
}
ED_PUB=$(cut -d' ' -f1,2 "$S/ed.pub")
forged() { # forged SIGNATURE_BASE64: refused with BadCredentials, one more failure counted
        local before after
        before=$(count)
        ! unlock_sig "$ED_PUB" "$1" && grep -q BadCredentials "$T/reply" || { sed 's/^/# /' "$T/reply"; return 1; }
        after=$(count)
        test "$after" = $((before + 1)) || { diag "failures counted: $before -> $after"; return 1; }
}
set_burst() { # set_burst N: the record's rateLimitBurst (window 60 s)
        "$PYTHON" "$HELPERS/agent-call.py" "$HOMEFS_RUNTIME_DIR/agent.sock" io.homefs.Agent.Update \
                "{\"userName\":\"$U\",\"changes\":{\"rateLimitBurst\":$1,\"rateLimitIntervalUSec\":60000000}}" >/dev/null
}
ok "a burst of 3 failures for the next steps" set_burst 3
GARBAGE=$("$PYTHON" -c 'import base64,os,struct; s=lambda b: struct.pack(">I", len(b)) + b; print(base64.b64encode(s(b"ssh-ed25519") + s(os.urandom(64))).decode())')
ok "a garbage signature (well-formed, 64 random bytes) is refused and counted" forged "$GARBAGE"
ok "... and leaves the audit line of a failed attempt (user, method, caller uid)" \
        grep -q "failed Unlock attempt: user $U, method ssh-agent signature, caller uid $(id -u "$U") pid [0-9]*: BadCredentials" "$T/agent.log"
ok "bytes that are no signature blob at all are refused and counted" forged "$(head -c 90 /dev/urandom | base64 -w0)"
# The key's real signature over the challenge without the domain string (what
# another protocol might have had the key sign) opens nothing.
SALT_HEX=$(cryptsetup luksDump --dump-json-metadata "$IMG" | "$PYTHON" -c 'import base64,json,sys; print([base64.b64decode(t["ssh-salt"]).hex() for t in json.load(sys.stdin)["tokens"].values() if t.get("ssh-signature-algorithm") == "ssh-ed25519"][0])')
NODOMAIN=$("$PYTHON" -c 'import struct,sys; s=lambda b: struct.pack(">I", len(b)) + b; print((s(sys.argv[1].encode()) + s(bytes.fromhex(sys.argv[2]))).hex())' "$U" "$SALT_HEX")
ok "the enrolled key's signature over the challenge without the homefs domain is refused and counted" \
        forged "$("$PYTHON" "$HELPERS/ssh-unlock-passphrase.py" signed-by "$S/ed" "$NODOMAIN")"
ok "... the home is still inactive" test "$(home_state "$U")" = inactive
agent_holds ed
rate_limited() {
        ! "$CTL" unlock --ssh-agent "$U" 2>"$T/err" && grep -Eq 'try again in [0-9]+ s' "$T/err" || { sed 's/^/# /' "$T/err"; return 1; }
}
ok "after 3 forged signatures, even the ssh-agent's valid one is refused by the rate limit" rate_limited
ok "... still inactive" test "$(home_state "$U")" = inactive
ok "a burst of 10 again" set_burst 10
# Malformed offers are refused as such (InvalidParameter), not counted.
malformed() { # malformed PARAMS_JSON_MEMBERS: Unlock refuses with InvalidParameter, the count stays
        local before
        before=$(count)
        ! run_as "$U" "$PYTHON" "$HELPERS/agent-call.py" "$HOMEFS_RUNTIME_DIR/agent.sock" io.homefs.Agent.Unlock                 "{\"userName\":\"$U\",$1}" >"$T/reply" && grep -q InvalidParameter "$T/reply" && test "$(count)" = "$before" ||
                { sed 's/^/# /' "$T/reply"; return 1; }
}
ok "Unlock: sshAgentSignature that is not an object is refused" malformed '"sshAgentSignature":"x"'
ok "Unlock: an ECDSA key is refused" malformed "\"sshAgentSignature\":{\"publicKey\":\"$(cut -d' ' -f1,2 "$S/ecdsa.pub")\",\"signature\":\"$GARBAGE\"}"
ok "Unlock: a signature that is not base64 is refused" malformed "\"sshAgentSignature\":{\"publicKey\":\"$ED_PUB\",\"signature\":\"!!\"}"
ok "Unlock: a signature together with a password is refused" malformed "\"password\":\"pw-agent\",\"sshAgentSignature\":{\"publicKey\":\"$ED_PUB\",\"signature\":\"$GARBAGE\"}"
add_forged() { # AddCredentials with the password and a signature that does not verify
        ! "$PYTHON" "$HELPERS/agent-call.py" "$HOMEFS_RUNTIME_DIR/agent.sock" io.homefs.Agent.AddCredentials \
                "{\"userName\":\"$U\",\"password\":\"pw-agent\",\"sshUnlockKeys\":[{\"publicKey\":\"$(cut -d' ' -f1,2 "$S/other.pub")\",\"salt\":\"$(head -c 32 /dev/urandom | base64 -w0)\",\"signature\":\"$GARBAGE\"}]}" >"$T/reply" &&
                grep -q "does not verify" "$T/reply" || { sed 's/^/# /' "$T/reply"; return 1; }
}
ok "AddCredentials: a signature that does not verify enrolls nothing" add_forged
ok "... still two homefs-ssh-agent tokens" test "$(cryptsetup luksDump "$IMG" | grep -c 'homefs-ssh-agent')" = 2
agent_holds ed
ok "a valid signature (the ssh-agent's) unlocks" "$CTL" unlock --ssh-agent "$U"
ok "... and clears the failure count" test "$(count)" = 0
ok "deactivate" "$CTL" deactivate "$U"

# sshd with the dist snippet, as test-ssh.sh runs it; ssh -A forwards the agent.
start_sshd "$S" "$U" "$G"
SSH_OPTS+=(-o IdentitiesOnly=yes -A)
state_is() { test "$(home_state "$U")" = "$1"; }

# ssh -A host cmd, no terminal.
no_tty() {
        test "$(ssh "${SSH_OPTS[@]}" -i "$S/ed" "$U@127.0.0.1" 'cat note' </dev/null 2>"$T/err")" = "a file in the home" ||
                { sed 's/^/# ssh: /' "$T/err"; return 1; }
}
agent_holds ed
ok "locked home, ssh -A host cmd without a terminal: unlocked by the ssh-agent, the command reads the file" no_tty
ok "... nothing asked for a password" sh -c "! grep -qi password '$T/err'"
ok "... the session ended: the home is deactivated" wait_until 20 state_is inactive

# Interactive logins on a tmux terminal; the pane ends with SSH-EXIT=<status>.
TM="homefs-sau-$$"
on_cleanup "tmux -L '$TM' kill-server"
pane() { tmux -L "$TM" capture-pane -p -J -S -100 -t "$1"; }
pane_has() { pane "$1" | grep -qF -- "$2"; }
show() { echo "# pane $1:"; pane "$1" | sed 's/^/#   /'; }
start_tty() { # start_tty NAME KEY
        local q
        printf -v q '%q ' env SSH_AUTH_SOCK="$SSH_AUTH_SOCK" ssh "${SSH_OPTS[@]}" -t -i "$S/$2" "$U@127.0.0.1"
        if tmux -L "$TM" has-session 2>/dev/null; then
                tmux -L "$TM" new-window -d -n "$1" "$q; echo SSH-EXIT=\$?; sleep 600"
        else
                tmux -L "$TM" new-session -d -x 200 -y 50 -s homefs -n "$1" "$q; echo SSH-EXIT=\$?; sleep 600"
        fi
}
type_in() { tmux -L "$TM" send-keys -t "$1" "$2" Enter; }
shell_in_home() { # shell_in_home NAME: the shell starts in the home and reads the file
        type_in "$1" 'echo "WHERE=$(pwd) NOTE=$(cat note)"'
        wait_until 20 pane_has "$1" "WHERE=$T/home/$U NOTE=a file in the home" || { show "$1"; return 1; }
}
login_by_agent() { # login_by_agent NAME KEY
        start_tty "$1" "$2"
        shell_in_home "$1" && pane_has "$1" "with the key in your SSH agent" && ! pane_has "$1" "Password for" ||
                { show "$1"; return 1; }
}
logout() { type_in "$1" exit; wait_until 20 state_is inactive; }
ok "locked home, ssh -A -t with the ed25519 key in the ssh-agent: no prompt, a shell in the home" login_by_agent ed ed
ok "... logging out locks the home" logout ed
agent_holds rsa
ok "the same with the RSA key (rsa-sha2-512)" login_by_agent rsa rsa
ok "... logging out locks the home" logout rsa

agent_holds other
fallback() {
        start_tty fb other
        wait_until 20 pane_has fb "Password for $U:" || { show fb; return 1; }
        pane_has fb "None of the keys in your SSH agent is enrolled to unlock the home of $U." || { show fb; return 1; }
        type_in fb pw-agent
        shell_in_home fb
}
ok "a key in the ssh-agent that is not enrolled: one line why, then the password prompt" fallback
ok "... logging out locks the home" logout fb

# remove-credential drops the keyslot and its token.
slot_of_rsa=$(home_status "$U" credentials | "$PYTHON" -c 'import json,sys; print([c["keyslot"] for c in json.load(sys.stdin) if c.get("ssh-signature-algorithm") == "rsa-sha2-512"][0])')
ok "remove-credential removes the RSA key's keyslot" "$CTL" remove-credential "$U" "$slot_of_rsa"
ok "... and its token: one homefs-ssh-agent token left" test "$(cryptsetup luksDump "$IMG" | grep -c 'homefs-ssh-agent')" = 1
agent_holds rsa
ok "... the RSA key no longer unlocks" sh -c "! '$CTL' unlock --ssh-agent '$U' 2>/dev/null"

ok "remove the home" "$CTL" remove "$U"

# create takes --ssh-unlock-key too.
new_user_name C c
agent_holds ed
ok "create --ssh-unlock-key enrolls the key with the new home" create_home "$C" pw-create "--ssh-unlock-key=@$S/ed.pub"
ok "... and unlock --ssh-agent opens it" "$CTL" unlock --ssh-agent "$C"
ok "remove that home" "$CTL" remove --force "$C"
finish
