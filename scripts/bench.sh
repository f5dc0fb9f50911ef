#!/usr/bin/env bash
# Benchmarks: prints figures and ratios against peers measured in the same
# run, never fails on a time. Every bulk figure is the median of ROUNDS
# rounds, and each round runs every contender once in turn (interleaved), so
# a burst of load elsewhere hits all of them alike. CPU seconds (user + sys
# of the client and the server; getrusage via /usr/bin/time, /proc for the
# servers) are reported too: on a shared machine they move far less than
# wall time.
#
# Usage: scripts/bench.sh [SIZE_MIB] [ROUNDS] [LATENCY_RUNS]
#   defaults: 1024 MiB, 3 rounds, 200 runs of `run -- true`
# Contenders for SIZE_MIB of random bytes, tmpfs to tmpfs:
#   ceiling pipes (tests/bench/ceiling.c): no encryption, and each backend x
#     suite: one process seals 64 KiB messages, another opens them
#   pipeline send-file, recv-file, `run -- sh -c 'cat >/dev/null'` (in) and
#     `run -n -- cat FILE` (out), for each backend (pipeline: OpenSSL,
#     pipeline-sodium: libsodium) and suite (aesgcm, chachapoly)
#   ssh localhost 'cat > f' and scp, with aes128-gcm@openssh.com (their
#     fastest cipher here), when sshd can be started (root)
set -uo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
rounds=${2:-3}
runs=${3:-200}
command -v bc >/dev/null || { echo "bench needs bc (apt-get install bc)"; exit 0; }
[ -x /usr/bin/time ] || { echo "bench needs /usr/bin/time (apt-get install time)"; exit 0; }
if [ ! -x build/pipeline ] || [ ! -x build/tests/bench_ceiling ]; then
    scripts/build.sh build >/dev/null || exit 0
fi
ceiling=$PWD/build/tests/bench_ceiling
work=$(mktemp -d /dev/shm/pl-bench.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

ratio() {
    if [ -z "$1" ] || [ -z "$2" ] || [ "$(echo "$2 == 0" | bc -l)" = 1 ]; then
        echo "n/a"
    else
        printf "%.2f" "$(echo "$1 / $2" | bc -l)"
    fi
}
# CPU seconds (user + sys) a process has used, from /proc/PID/stat; with
# "children", those of its reaped children instead (sshd's sessions).
proc_cpu() {
    local f
    read -r -a f < <(sed 's/^.*) //' "/proc/$1/stat")
    local tck
    tck=$(getconf CLK_TCK)
    if [ "${2:-}" = children ]; then
        echo "(${f[13]} + ${f[14]}) / $tck" | bc -l
    else
        echo "(${f[11]} + ${f[12]}) / $tck" | bc -l
    fi
}
# CPU seconds of this script's finished children (the timed commands).
child_cpu() { proc_cpu $$ children; }
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# One server per backend binary, each on its own unix socket.
start_server() { # NAME BINARY
    local d=$work/$1
    mkdir -p "$d"
    echo "address = \"unix:$d/s.sock\";" > "$d/conf"
    "$2" -c "$d/conf" listen --key-file "$d/server.key" 2>"$d/server.log" &
    pids+=($!)
    echo $! > "$d/pid"
    for _ in $(seq 100); do "$2" -c "$d/conf" ping -q >/dev/null 2>&1 && return 0; sleep 0.05; done
    echo "server $1 did not start: $(tail -n 3 "$d/server.log")"
    exit 0
}
backends=()
for b in build/pipeline build/pipeline-sodium build/pipeline-openssl; do
    [ -x "$b" ] || continue
    name=$(basename "$b")
    start_server "$name" "$PWD/$b"
    aead=$(grep -o 'aead [a-z]*' "$work/$name/server.log" | head -n 1 | cut -d' ' -f2)
    backends+=("$name:$aead")
done

echo "== command latency: $runs runs each, fresh connection per run, medians of 5 interleaved batches"
main_conf=$work/pipeline/conf
# Where a run's time goes: starting the process (`help` does nothing else),
# plus connect and handshake (`ping`), plus the command. Wall times swing
# on a shared machine; the client's CPU per run swings much less.
lat_batch() { # NAME COMMAND...: one batch of $runs, wall and client CPU per run
    local name=$1 t0 t1 c0 c1
    shift
    c0=$(child_cpu)
    t0=$(date +%s%N); for _ in $(seq "$runs"); do "$@" >/dev/null; done; t1=$(date +%s%N)
    c1=$(child_cpu)
    echo "($t1 - $t0) / 1000000 / $runs" | bc -l >> "$work/lat.$name"
    echo "($c1 - $c0) * 1000 / $runs" | bc -l >> "$work/cpu.$name"
}
for r in 1 2 3 4 5; do
    lat_batch local /bin/true
    lat_batch help build/pipeline help
    lat_batch ping build/pipeline -c "$main_conf" ping -q
    lat_batch pl build/pipeline -c "$main_conf" run -- true
done
local_ms=$(median < "$work/lat.local")
pl_ms=$(median < "$work/lat.pl")
printf "  %-26s %8.3f ms   client CPU %6.3f ms\n" "/bin/true locally" "$local_ms" "$(median < "$work/cpu.local")"
printf "  %-26s %8.3f ms   client CPU %6.3f ms   (process start)\n" "pipeline help" "$(median < "$work/lat.help")" "$(median < "$work/cpu.help")"
printf "  %-26s %8.3f ms   client CPU %6.3f ms   (+ connect, handshake)\n" "pipeline ping -q" "$(median < "$work/lat.ping")" "$(median < "$work/cpu.ping")"
printf "  %-26s %8.3f ms   client CPU %6.3f ms   (%sx local; target <= 4x)\n" "pipeline run -- true" "$pl_ms" "$(median < "$work/cpu.pl")" "$(ratio "$pl_ms" "$local_ms")"

. "$PWD/tests/bench/sshd.sh"
start_sshd "$work"
ssh_ok=$SSH_OK sshd_pid=$SSHD_PID
sshopt=("${SSHOPT[@]}")
[ -n "$sshd_pid" ] && pids+=("$sshd_pid")
if [ "$ssh_ok" = 1 ]; then
    n=$(( runs / 10 > 5 ? runs / 10 : 5 ))
    t0=$(date +%s%N); for _ in $(seq "$n"); do ssh "${sshopt[@]}" root@127.0.0.1 true; done; t1=$(date +%s%N)
    ssh_ms=$(echo "($t1 - $t0) / 1000000 / $n" | bc -l)
    ssh "${sshopt[@]}" -o ControlMaster=yes -o ControlPath="$work/cm" -o ControlPersist=60 root@127.0.0.1 true
    t0=$(date +%s%N); for _ in $(seq "$runs"); do ssh "${sshopt[@]}" -o ControlPath="$work/cm" root@127.0.0.1 true; done; t1=$(date +%s%N)
    cm_ms=$(echo "($t1 - $t0) / 1000000 / $runs" | bc -l)
    printf "  ssh localhost true         %8.3f ms   (pipeline is %sx faster)\n" "$ssh_ms" "$(ratio "$ssh_ms" "$pl_ms")"
    printf "  ssh ControlMaster true     %8.3f ms   (pipeline is %sx faster)\n" "$cm_ms" "$(ratio "$cm_ms" "$pl_ms")"
    ssh "${sshopt[@]}" -o ControlPath="$work/cm" -O exit root@127.0.0.1 2>/dev/null
fi

bytes=$(( size_mib * 1048576 ))
src=$work/src
head -c "$bytes" /dev/urandom > "$src"

# Each contender prints "seconds cpu_seconds"; results go to $work/res.NAME.
# timed OUT command...: runs the command (stdout to OUT), then prints its
# wall time and CPU; its peak RSS goes to $work/rss.
timed() {
    local out=$1
    shift
    if ! /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$@" > "$out"; then
        echo "  (failed: $*)" >&2
        echo "0 0"
        return
    fi
    local e u s m
    read -r e u s m < "$work/t"
    echo "$m" >> "$work/rss"
    echo "$e $(echo "$u + $s" | bc -l)"
}
run_ceiling() { # MODE
    local out
    out=$("$ceiling" "$1" "$src" "$work/ceil.out") || { echo "0 0"; return; }
    rm -f "$work/ceil.out"
    set -- $out
    echo "$2 $4"
}
run_pipeline() { # BINNAME CIPHER OP
    local bin=$PWD/build/$1 conf=$work/$1/conf pid
    pid=$(cat "$work/$1/pid")
    local s0 s1 r
    s0=$(proc_cpu "$pid")
    case $3 in
    send-file) r=$(timed /dev/null "$bin" -c "$conf" send-file -q --cipher "$2" "$src" "$work/put.out") ;;
    recv-file) r=$(timed /dev/null "$bin" -c "$conf" recv-file -q --cipher "$2" "$src" "$work/get.out") ;;
    cat-in) r=$(timed /dev/null "$bin" -c "$conf" run -i --cipher "$2" -- sh -c 'cat > /dev/null' < "$src") ;;
    cat-out) r=$(timed /dev/null "$bin" -c "$conf" run -n --cipher "$2" -- cat "$src") ;;
    esac
    s1=$(proc_cpu "$pid")
    rm -f "$work/put.out" "$work/get.out"
    set -- $r
    echo "$1 $(echo "$2 + $s1 - $s0" | bc -l)"
}
run_ssh() { # cat|scp
    local s0 s1 r
    s0=$(proc_cpu "$sshd_pid" children)
    if [ "$1" = cat ]; then
        r=$(timed /dev/null ssh "${sshopt[@]}" -c aes128-gcm@openssh.com root@127.0.0.1 "cat > $work/ssh.out" < "$src")
    else
        r=$(timed /dev/null scp -q -P "$SSH_PORT" -i "$work/id" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
            -o BatchMode=yes -c aes128-gcm@openssh.com "$src" "root@127.0.0.1:$work/ssh.out")
    fi
    s1=$(proc_cpu "$sshd_pid" children)
    rm -f "$work/ssh.out"
    set -- $r 0 0
    echo "$1 $(echo "$2 + $s1 - $s0" | bc -l)"
}

# bench_ceiling's name for a backend
mode_of() { [ "$1" = libsodium ] && echo sodium || echo "$1"; }
contenders=("ceiling:none")
for be in "${backends[@]}"; do
    for cipher in aesgcm chachapoly; do contenders+=("ceiling:$(mode_of "${be#*:}")-$cipher"); done
done
for be in "${backends[@]}"; do
    for cipher in aesgcm chachapoly; do
        for op in send-file recv-file cat-in cat-out; do contenders+=("pipeline:${be%%:*}:$cipher:$op"); done
    done
done
[ "$ssh_ok" = 1 ] && contenders+=("ssh:cat" "ssh:scp")

echo "== bulk transfer: $size_mib MiB of random bytes, tmpfs to tmpfs, median of $rounds interleaved rounds"
for r in $(seq "$rounds"); do
    printf "  round %d/%d ..." "$r" "$rounds"
    for c in "${contenders[@]}"; do
        IFS=: read -r kind a b op <<<"$c"
        case $kind in
        ceiling) res=$(run_ceiling "$a") ;;
        pipeline) res=$(run_pipeline "$a" "$b" "$op") ;;
        ssh) res=$(run_ssh "$a") ;;
        esac
        echo "$res" >> "$work/res.${c//[:\/]/_}"
        printf "."
    done
    echo
done

mbps_of() { awk -v b="$bytes" '$1 > 0 {print b / $1 / 1e6}' "$work/res.${1//[:\/]/_}" | median; }
cpu_of() { awk -v b="$bytes" '{print $2 * 1073741824 / b}' "$work/res.${1//[:\/]/_}" | median; }
line() { # LABEL MBPS CPU [ratios...]
    printf "  %-36s %8.1f MB/s %6.2f CPU s/GiB" "$1" "$2" "$3"
    shift 3
    [ $# -gt 0 ] && printf "   %s" "$*"
    echo
}
ssh_mbps=
if [ "$ssh_ok" = 1 ]; then
    ssh_mbps=$(mbps_of ssh:cat)
fi
line "no encryption (ceiling none)" "$(mbps_of ceiling:none)" "$(cpu_of ceiling:none)"
if [ "$ssh_ok" = 1 ]; then
    line "ssh 'cat > f' (aes128-gcm)" "$ssh_mbps" "$(cpu_of ssh:cat)"
    line "scp (aes128-gcm)" "$(mbps_of ssh:scp)" "$(cpu_of ssh:scp)"
fi
for be in "${backends[@]}"; do
    bin=${be%%:*} aead=${be#*:}
    for cipher in aesgcm chachapoly; do
        echo "  -- $bin ($aead backend), $cipher"
        cm=$(mbps_of "ceiling:$(mode_of "$aead")-$cipher")
        cc=$(cpu_of "ceiling:$(mode_of "$aead")-$cipher")
        line "ceiling $(mode_of "$aead")-$cipher" "$cm" "$cc"
        for op in send-file recv-file cat-in cat-out; do
            m=$(mbps_of "pipeline:$bin:$cipher:$op")
            c=$(cpu_of "pipeline:$bin:$cipher:$op")
            extra="$(ratio "$m" "$cm")x ceiling MB/s, $(ratio "$c" "$cc")x ceiling CPU"
            [ -n "$ssh_mbps" ] && extra+=", $(ratio "$m" "$ssh_mbps")x ssh cat"
            line "pipeline $op" "$m" "$c" "$extra"
        done
    done
done
srv_rss=0
for be in "${backends[@]}"; do
    hwm=$(awk '/VmHWM/ {print $2}' "/proc/$(cat "$work/${be%%:*}/pid")/status")
    [ "$hwm" -gt "$srv_rss" ] && srv_rss=$hwm
done
rss_max=$(sort -n "$work/rss" | tail -n 1)
echo "== peak RSS during the transfers: client $((rss_max / 1024)) MiB, server $((srv_rss / 1024)) MiB (target <= 16 MiB each)"
echo "   (wall-time figures on a shared machine swing; the CPU columns and the same-run ratios are the ones to compare)"
