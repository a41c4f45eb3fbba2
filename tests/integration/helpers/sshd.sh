# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the SSH tests after lib.sh. start_sshd DIR USER GROUP: Debian's
# sshd ($SSHD) on 127.0.0.1 and a free port, with its own host key DIR/host
# and a config laid out as Debian's: the drop-ins included at the top, ours
# (dist/sshd_config.d/10-homefs.conf.in with the paths and group of this run;
# the stub is $STUB, the passwd shell of homefs users $LOGIN_SHELL) and
# systemd's 20-systemd-userdb.conf, whose AuthorizedKeysCommand must not win
# for homefs users. internal-sftp, which the stub cannot exec, is the SFTP
# subsystem. Only USER may log in, with keys only. Sets PORT and SSH_OPTS
# (client options without the key); the cleanup stops it.
start_sshd() {
        local d=$1 user=$2 group=$3 rd=$HOMEFS_RUNTIME_DIR
        PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        mkdir -p "$d/sshd_config.d"
        sed -e "s|@bindir@/homefsctl|/usr/bin/env HOMEFS_RUNTIME_DIR=$rd $CTL|" \
            -e "s|ForceCommand @libexecdir@/homefs-sshstub|ForceCommand $STUB|" \
            -e "s|Match Group homefs|Match Group $group|" \
            "$HOMEFS_SOURCE_ROOT/dist/sshd_config.d/10-homefs.conf.in" >"$d/sshd_config.d/10-homefs.conf"
        printf 'AuthorizedKeysCommand /usr/bin/userdbctl ssh-authorized-keys %%u\nAuthorizedKeysCommandUser root\n' \
                >"$d/sshd_config.d/20-systemd-userdb.conf"
        cat >"$d/sshd_config" <<EOF2
Include $d/sshd_config.d/*.conf
Port $PORT
ListenAddress 127.0.0.1
HostKey $d/host
PidFile $d/sshd.pid
UsePAM yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AllowAgentForwarding yes
AllowUsers $user
Subsystem sftp internal-sftp
EOF2
        mkdir -p /run/sshd
        "$SSHD" -D -e -f "$d/sshd_config" 2>>"$d/sshd.log" &
        on_cleanup "kill $!"
        port_open() { "$PYTHON" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$PORT"; }
        wait_until 10 port_open || { echo "Bail out! sshd did not start:"; sed 's/^/# /' "$d/sshd.log"; exit 1; }
        SSH_OPTS=(-F /dev/null -p "$PORT" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
                  -o LogLevel=ERROR -o ConnectTimeout=10)
}
