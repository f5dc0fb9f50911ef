#!/usr/bin/env bash
# The acceptance playbook (tests/ansible/site.yml: ping, command, copy of a
# file and a directory, template, file, fetch, raw) on three hosts at once
# (-f 3), through the pipeline connection plugin to three `pipeline listen`
# servers, beside the same playbook over ansible_connection=ssh to three
# aliases of a private sshd on localhost (Ansible's defaults: ControlMaster
# with ControlPersist, pipelining on for both). Rounds are interleaved;
# each run starts from empty work directories, so every run makes the same
# changes. Prints medians of wall time, controller CPU (ansible and its
# children) and server-side CPU (pipeline servers with their commands; sshd
# with its sessions). Never fails on a time.
#
#   tests/bench/ansible.sh [ROUNDS]      (default 3; needs root for sshd)
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
export PIPELINE_SRC=$src
export PIPELINE_BIN=${PIPELINE_BIN:-$src/build/pipeline}
rounds=${1:-3}
. "$src/tests/integration/lib.sh"
. "$src/tests/ansible/fleet.sh"
. "$src/tests/bench/sshd.sh"
trap 'fleet_stop; [ -n "${SSHD_PID:-}" ] && kill "$SSHD_PID" 2>/dev/null; cleanup' EXIT

fleet_install || exit 1
fleet_start
start_sshd "$TESTROOT"
[ "$SSH_OK" = 1 ] || { echo "no sshd: only the pipeline side can be measured" >&2; }
port=${SSHOPT[2]}
SSHDIR="$TESTROOT/sshhosts"
{
    echo "[enclaves]"
    for h in a b c; do
        echo "ssh-$h ansible_host=127.0.0.1 ansible_port=$port base=$SSHDIR/$h/work"
    done
    echo "[enclaves:vars]"
    echo "ansible_connection=ssh"
    echo "ansible_user=root"
    echo "ansible_pipelining=true"
    echo "ansible_ssh_private_key_file=$TESTROOT/id"
    echo "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'"
    echo "ansible_remote_tmp=$SSHDIR/remote-tmp"
} >"$TESTROOT/ssh-inventory.ini"
export ANSIBLE_SSH_CONTROL_PATH_DIR="$TESTROOT/cp"

# server_cpu PID...: user+system seconds of the processes and their reaped
# children, from /proc.
server_cpu() {
    local tck total=0 p
    tck=$(getconf CLK_TCK)
    for p in "$@"; do
        total=$((total + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat")))
    done
    echo "scale=3; $total / $tck" | bc -l
}

# run KIND: one playbook run from empty work dirs; prints
# "wall controller_cpu server_cpu".
run() {
    local kind=$1 inv dirs pids before after
    if [ "$kind" = pipeline ]; then
        inv=$INVENTORY
        dirs=("$FLEET"/{a,b,c}/work)
        pids=("${FLEET_PIDS[@]}")
    else
        inv=$TESTROOT/ssh-inventory.ini
        dirs=("$SSHDIR"/{a,b,c}/work)
        pids=("$SSHD_PID")
    fi
    rm -rf "${dirs[@]}" "$TESTROOT/fetched-$kind"
    mkdir -p "${dirs[@]}"
    before=$(server_cpu "${pids[@]}")
    local out
    out=$("$PY" - "$TESTROOT/$kind.log" "${ANSIBLE_PLAYBOOK[@]}" -i "$inv" -f 3 \
        -e "fetch_dir=$TESTROOT/fetched-$kind" "$src/tests/ansible/site.yml" <<'PY'
import resource, subprocess, sys, time
t0 = time.monotonic()
with open(sys.argv[1], "wb") as log:
    rc = subprocess.call(sys.argv[2:], stdout=log, stderr=log)
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f %.3f %d" % (wall, ru.ru_utime + ru.ru_stime, rc))
PY
)
    if [ "$kind" = ssh ]; then
        # Close the ControlMaster connections so sshd reaps its sessions
        # and their CPU time shows in its counters.
        local s
        for s in "$ANSIBLE_SSH_CONTROL_PATH_DIR"/*; do
            [ -S "$s" ] && ssh -O exit -o ControlPath="$s" root@127.0.0.1 2>/dev/null
        done
        sleep 0.3
    fi
    after=$(server_cpu "${pids[@]}")
    set -- $out
    [ "$3" = 0 ] || echo "  ($kind run failed, exit $3; log: $TESTROOT/$kind.log)" >&2
    echo "$1 $2 $(echo "$after - $before" | bc -l)"
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

: >"$TESTROOT/pl.txt"
: >"$TESTROOT/ssh.txt"
for r in $(seq 1 "$rounds"); do
    run pipeline >>"$TESTROOT/pl.txt"
    [ "$SSH_OK" = 1 ] && run ssh >>"$TESTROOT/ssh.txt"
done

col() { awk -v c="$2" '{print $c}' "$1" | median; }
echo "ansible-playbook tests/ansible/site.yml, 3 hosts, -f 3, 9 tasks; median of $rounds interleaved runs"
printf '  %-34s %8s %12s %12s\n' "" "wall s" "ctrl CPU s" "server CPU s"
printf '  %-34s %8.2f %12.2f %12.2f\n' "pipeline (connection plugin)" \
    "$(col "$TESTROOT/pl.txt" 1)" "$(col "$TESTROOT/pl.txt" 2)" "$(col "$TESTROOT/pl.txt" 3)"
if [ "$SSH_OK" = 1 ]; then
    printf '  %-34s %8.2f %12.2f %12.2f\n' "ssh (ControlPersist, localhost)" \
        "$(col "$TESTROOT/ssh.txt" 1)" "$(col "$TESTROOT/ssh.txt" 2)" "$(col "$TESTROOT/ssh.txt" 3)"
    printf '  ssh / pipeline: wall %.2fx, controller CPU %.2fx, server CPU %.2fx\n' \
        "$(echo "$(col "$TESTROOT/ssh.txt" 1) / $(col "$TESTROOT/pl.txt" 1)" | bc -l)" \
        "$(echo "$(col "$TESTROOT/ssh.txt" 2) / $(col "$TESTROOT/pl.txt" 2)" | bc -l)" \
        "$(echo "$(col "$TESTROOT/ssh.txt" 3) / $(col "$TESTROOT/pl.txt" 3)" | bc -l)"
fi
