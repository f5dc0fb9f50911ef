#!/usr/bin/env bash
# Keystroke round trip on a remote terminal: `pipeline run -t -- cat`
# against `ssh -tt localhost cat` in the same run, interleaved. Prints
# medians; never fails on a time.
# Usage: tests/bench/tty_latency.sh [KEYS_PER_ROUND] [ROUNDS]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
bin=${PIPELINE_BIN:-$src/build/pipeline}
keys=${1:-100}
rounds=${2:-5}
work=$(mktemp -d /tmp/pl-ttybench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
. "$src/tests/bench/sshd.sh"

conf=$work/pl.conf
echo "address = \"unix:$work/pl.sock\";" > "$conf"
"$bin" -c "$conf" listen --key-file "$work/server.key" 2>"$work/server.log" &
pids+=($!)
for _ in $(seq 1 100); do "$bin" -c "$conf" ping -q >/dev/null 2>&1 && break; sleep 0.05; done

clients=("pipeline run -t=$bin -c $conf run -t -- cat")
start_sshd "$work"
[ -n "$SSHD_PID" ] && pids+=("$SSHD_PID")
if [ "$SSH_OK" = 1 ]; then
    ssh "${SSHOPT[@]}" -o ControlMaster=yes -o ControlPath="$work/cm" -o ControlPersist=60 root@127.0.0.1 true
    clients+=("ssh -tt localhost=ssh ${SSHOPT[*]} -tt root@127.0.0.1 cat")
    clients+=("ssh -tt (ControlMaster)=ssh ${SSHOPT[*]} -o ControlPath=$work/cm -tt root@127.0.0.1 cat")
fi
echo "Keystroke round trip (type a character, see the remote terminal's echo), $keys keys x $rounds rounds:"
/usr/bin/python3 "$src/tests/bench/tty_latency.py" "$keys" "$rounds" "${clients[@]}"
