#!/usr/bin/env bash
# Benchmarks: prints figures and ratios against peers measured in the same
# run (local /bin/true, ssh to localhost, the bench_ceiling encrypted pipe).
# Never fails on a time. Usage: scripts/bench.sh [SIZE_MIB] [RUNS]
set -uo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=${2:-200}
[ -x build/pipeline ] || scripts/build.sh build >/dev/null
bin=$PWD/build/pipeline
ceiling=$PWD/build/tests/bench_ceiling
work=$(mktemp -d /dev/shm/pl-bench.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }
mbps() { echo "scale=1; $1 / $2 / 1000000" | bc -l; }
command -v bc >/dev/null || { echo "bench needs bc (apt-get install bc)"; exit 0; }

conf=$work/pipeline.conf
echo "address = \"unix:$work/s.sock\";" > "$conf"
"$bin" -c "$conf" listen --key-file "$work/server.key" 2>"$work/server.log" &
pids+=($!)
for _ in $(seq 50); do "$bin" -c "$conf" ping -q >/dev/null 2>&1 && break; sleep 0.1; done

echo "== command latency: $runs runs each, fresh connection per run"
t0=$(now); for _ in $(seq "$runs"); do /bin/true; done; t1=$(now)
local_ms=$(echo "($t1 - $t0) * 1000 / $runs" | bc -l)
t0=$(now); for _ in $(seq "$runs"); do "$bin" -c "$conf" run -n -- true; done; t1=$(now)
pl_ms=$(echo "($t1 - $t0) * 1000 / $runs" | bc -l)
printf "  /bin/true locally          %8.3f ms\n" "$local_ms"
printf "  pipeline run -- true       %8.3f ms   (%sx local)\n" "$pl_ms" "$(ratio "$pl_ms" "$local_ms")"

ssh_ok=0
if command -v sshd >/dev/null && [ "$(id -u)" -eq 0 ]; then
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
CFG
    mkdir -p /run/sshd
    /usr/sbin/sshd -f "$work/sshd_config" -D 2>"$work/sshd.log" &
    pids+=($!)
    sleep 0.5
    sshopt=(-q -p "$port" -i "$work/id" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes)
    if ssh "${sshopt[@]}" root@127.0.0.1 true 2>/dev/null; then
        ssh_ok=1
        n=$(( runs / 10 > 5 ? runs / 10 : 5 ))
        t0=$(now); for _ in $(seq "$n"); do ssh "${sshopt[@]}" root@127.0.0.1 true; done; t1=$(now)
        ssh_ms=$(echo "($t1 - $t0) * 1000 / $n" | bc -l)
        ssh "${sshopt[@]}" -o ControlMaster=yes -o ControlPath="$work/cm" -o ControlPersist=60 root@127.0.0.1 true
        t0=$(now); for _ in $(seq "$runs"); do ssh "${sshopt[@]}" -o ControlPath="$work/cm" root@127.0.0.1 true; done; t1=$(now)
        cm_ms=$(echo "($t1 - $t0) * 1000 / $runs" | bc -l)
        printf "  ssh localhost true         %8.3f ms   (pipeline is %sx faster)\n" "$ssh_ms" "$(ratio "$ssh_ms" "$pl_ms")"
        printf "  ssh ControlMaster true     %8.3f ms   (pipeline is %sx faster)\n" "$cm_ms" "$(ratio "$cm_ms" "$pl_ms")"
    else
        echo "  (ssh to localhost not available: $(tail -n 1 "$work/sshd.log"))"
    fi
fi

bytes=$(( size_mib * 1048576 ))
echo "== bulk transfer: $size_mib MiB, tmpfs to tmpfs"
head -c "$bytes" /dev/urandom > "$work/src"
read -r _ cs_secs cs_mbps < <("$ceiling" "$work/src" "$work/ceil.out")
rm -f "$work/ceil.out"
printf "  ceiling (seal/open pipe)   %8.1f MB/s\n" "$cs_mbps"
t0=$(now); "$bin" -c "$conf" send-file -q "$work/src" "$work/put.out"; t1=$(now)
s=$(elapsed "$t0" "$t1"); m=$(mbps "$bytes" "$s")
printf "  pipeline send-file         %8.1f MB/s   (%s%% of ceiling)\n" "$m" "$(echo "scale=0; 100 * $m / $cs_mbps" | bc -l)"
rm -f "$work/put.out"
t0=$(now); "$bin" -c "$conf" recv-file -q "$work/src" "$work/get.out"; t1=$(now)
s=$(elapsed "$t0" "$t1"); m=$(mbps "$bytes" "$s")
printf "  pipeline recv-file         %8.1f MB/s   (%s%% of ceiling)\n" "$m" "$(echo "scale=0; 100 * $m / $cs_mbps" | bc -l)"
rm -f "$work/get.out"
t0=$(now); "$bin" -c "$conf" run -n -- head -c "$bytes" /dev/zero > /dev/null; t1=$(now)
s=$(elapsed "$t0" "$t1"); m=$(mbps "$bytes" "$s")
printf "  pipeline run -- head -c    %8.1f MB/s   (%s%% of ceiling)\n" "$m" "$(echo "scale=0; 100 * $m / $cs_mbps" | bc -l)"
if [ "$ssh_ok" = 1 ]; then
    t0=$(now); ssh "${sshopt[@]}" -o ControlPath="$work/cm" root@127.0.0.1 "cat > $work/ssh.out" < "$work/src"; t1=$(now)
    s=$(elapsed "$t0" "$t1"); m=$(mbps "$bytes" "$s")
    printf "  ssh 'cat > f'              %8.1f MB/s\n" "$m"
    rm -f "$work/ssh.out"
fi
