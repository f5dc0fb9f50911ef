# A private sshd on a free loopback port, for measuring pipeline against
# ssh on the same machine. Source it, then: start_sshd WORKDIR
# Sets SSH_OK=1, SSH_PORT and the array SSHOPT (options for ssh to root@127.0.0.1),
# or SSH_OK=0 with a reason on stderr. The caller kills SSHD_PID.
start_sshd() {
    local work=$1 port
    SSH_OK=0
    SSHD_PID=
    SSH_PORT=
    if ! command -v sshd >/dev/null || [ "$(id -u)" -ne 0 ]; then
        echo "  (ssh to localhost not available: needs sshd and root)" >&2
        return 0
    fi
    port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    ssh-keygen -q -t ed25519 -N '' -f "$work/id" >/dev/null
    ssh-keygen -q -t ed25519 -N '' -f "$work/hostkey" >/dev/null
    cat > "$work/sshd_config" <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $work/hostkey
AuthorizedKeysFile $work/id.pub
PermitRootLogin prohibit-password
PasswordAuthentication no
UsePAM no
StrictModes no
PidFile $work/sshd.pid
Subsystem sftp /usr/lib/openssh/sftp-server
CFG
    mkdir -p /run/sshd
    /usr/sbin/sshd -f "$work/sshd_config" -D 2>"$work/sshd.log" &
    SSHD_PID=$!
    SSH_PORT=$port
    SSHOPT=(-q -p "$port" -i "$work/id" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes)
    local i
    for i in $(seq 1 50); do
        if ssh "${SSHOPT[@]}" root@127.0.0.1 true 2>/dev/null; then
            SSH_OK=1
            return 0
        fi
        sleep 0.1
    done
    echo "  (ssh to localhost not available: $(tail -n 1 "$work/sshd.log"))" >&2
}
