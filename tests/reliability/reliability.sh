#!/bin/bash
# Reliability figures (issue 8): load, faults, and the hostile suites.
#
#   tests/reliability/reliability.sh [--short | --full | CLIENTS SECONDS] [PIPELINE_BIN]
#
#   --short (default)  8 clients for 5 s, 4 uploads and 4 downloads killed:
#                      what scripts/test.sh runs, a few tens of seconds.
#   --full             200 clients for 60 s, 20 uploads and 20 downloads
#                      killed: the figures the README reports.
#
# Load: CLIENTS concurrent clients, each looping over run / send-file /
# recv-file / ping with its own data, check every result (output, exit
# code, file bytes); afterwards the server's descriptor count and RSS must
# be back to where they were after warm-up.
# Faults: the server is killed (-9) during uploads and downloads and
# restarted: no partial file under a real name on either side, and the
# clients leave no temporary; then a client is killed (-9) during each call
# type: no remote process is left and no server descriptor leaks.
# Hostile cases live in ctest (integration/test_hostile, integration/test_dos,
# unit/test_files_hostile, unit/test_sigpipe), run in the normal and the
# ASan+UBSan builds.
#
# Prints figures; exits 1 when a check fails. Never fails on a time.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
CLIENTS=8 SECONDS_=5 KILLED=4
case "${1:-}" in
--full) CLIENTS=200 SECONDS_=60 KILLED=20; shift ;;
--short) shift ;;
[0-9]*) CLIENTS=$1 SECONDS_=$2 KILLED=$(( $1 < 20 ? ($1 < 4 ? 4 : $1) : 20 )); shift 2 ;;
esac
BIN=${1:-${PIPELINE_BIN:-$SRC/build/pipeline}}
[ -x "$BIN" ] || { echo "no pipeline binary at $BIN" >&2; exit 2; }
W=$(mktemp -d /tmp/pl-reliability.XXXXXX)
FAILS=0
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null
    jobs -p | xargs -r kill -9 2>/dev/null
    wait 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
T_START=$(date +%s)
section() { echo "== $* ($(($(date +%s) - T_START)) s)"; }
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
good() { echo "ok:   $*"; }
check() { local what=$1; shift; if "$@"; then good "$what"; else bad "$what"; fi; }
fds() { ls "/proc/$SERVER_PID/fd" 2>/dev/null | wc -l; }
rss_kb() { awk -v k="${1:-VmRSS}:" '$1 == k {print $2}' "/proc/$SERVER_PID/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status"; }
wait_for() {
    local n=$(($1 * 20))
    shift
    while [ "$n" -gt 0 ]; do
        "$@" && return 0
        sleep 0.05
        n=$((n - 1))
    done
    return 1
}
CONF=$W/pipeline.conf
R=$W/remote L=$W/local
mkdir -p "$R" "$L"
{
    echo "address = \"unix:$W/s.sock\";"
    # 200 clients on 2 cores: a handshake can wait its turn for seconds.
    echo "connect_timeout = 60;"
    # Room for every client at once: failures must not hide behind limits.
    # File paths are taken beneath root = $R ("/x" is $R/x), which also
    # lets a restarted server clean the temporaries a killed one left.
    echo "server = { root = \"$R\"; max_connections = $((CLIENTS + 56)); max_execs = $((CLIENTS + 56)); handshake_timeout = 30; };"
} >"$CONF"
pl() { "$BIN" -c "$CONF" "$@"; }
start_server() {
    "$BIN" -c "$CONF" listen --key-file "$W/server.key" 2>>"$W/server.log" &
    SERVER_PID=$!
    wait_for 20 eval 'pl ping -q >/dev/null 2>&1' || { echo "server did not start" >&2; cat "$W/server.log" >&2; exit 1; }
}
stop_server() {
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
}
sanitizer_clean() { ! grep -qE "Sanitizer|runtime error|LeakSanitizer" "$W/server.log"; }

# ---------------------------------------------------------------- load
section "load: $CLIENTS clients for $SECONDS_ s (run, send-file, recv-file, ping)"
start_server
# Files clients fetch: sizes from 0 to 1 MiB, known digests.
for s in 0 1 4096 65487 65488 300000 1048576; do
    head -c "$s" /dev/urandom >"$R/get-$s"
done
# Warm-up: one call of each kind, so lazily created state is counted in
# the baseline. A MiB each way: a direction moves from libsodium to
# OpenSSL after 256 KiB, and OpenSSL's one-time set-up (a quarter MiB of
# tables, and its code paged in) belongs to the start value.
pl run -n -- true
pl send-file -q "$R/get-1048576" "/warm"
pl recv-file -q "/get-1048576" "$L/warm"
pl ping -q >/dev/null
sleep 0.5
fds0=$(fds) rss0=$(rss_kb) anon0=$(rss_kb RssAnon)

worker() {
    local i=$1 end=$2 n=0 f=0 busy=0 out rc k src
    local log=$W/w$i.log
    head -c $((1000 + i * 997 % 200000)) /dev/urandom >"$L/src-$i"
    while [ "$(date +%s)" -lt "$end" ]; do
        k=$((n % 4))
        n=$((n + 1))
        case $k in
        0)  # run: output and exit code
            out=$(pl run -n -- sh -c "echo w$i-$n; exit $((n % 7))" 2>>"$log")
            rc=$?
            if [ "$rc" != $((n % 7)) ] || [ "$out" != "w$i-$n" ]; then
                grep -q "server busy" "$log" && busy=$((busy + 1)) ||
                    { f=$((f + 1)); echo "run $n: exit $rc, output '$out'" >>"$log"; }
            fi ;;
        1)  # send-file: the bytes arrive under the name, whole
            if ! pl send-file -q "$L/src-$i" "/put-$i" 2>>"$log" ||
                ! cmp -s "$L/src-$i" "$R/put-$i"; then
                f=$((f + 1)); echo "send-file $n failed" >>"$log"
            fi ;;
        2)  # recv-file of a size that changes every time
            src=$(ls "$R"/get-* | sed -n "$((n % 7 + 1))p")
            if ! pl recv-file -q "/${src##*/}" "$L/got-$i" 2>>"$log" ||
                ! cmp -s "$src" "$L/got-$i"; then
                f=$((f + 1)); echo "recv-file $n ($src) failed" >>"$log"
            fi ;;
        3)  if ! pl ping -q >/dev/null 2>>"$log"; then
                f=$((f + 1)); echo "ping $n failed" >>"$log"
            fi ;;
        esac
    done
    echo "$n $f $busy" >"$W/w$i.count"
}
t0=$(date +%s.%N)
end=$(($(date +%s) + SECONDS_))
for i in $(seq 1 "$CLIENTS"); do worker "$i" "$end" & done
peak_fds=0
while [ "$(date +%s)" -lt "$end" ]; do
    c=$(fds)
    [ "$c" -gt "$peak_fds" ] && peak_fds=$c
    sleep 0.5
done
wait $(jobs -p | grep -v "^$SERVER_PID$") 2>/dev/null
dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
calls=0 failed=0 busy=0
for i in $(seq 1 "$CLIENTS"); do
    read -r n f b <"$W/w$i.count" || { n=0 f=1 b=0; }
    calls=$((calls + n)) failed=$((failed + f)) busy=$((busy + b))
done
back_fds() { [ "$(fds)" -le "$fds0" ]; }
wait_for 20 back_fds
fds1=$(fds) rss1=$(rss_kb) anon1=$(rss_kb RssAnon) hwm=$(hwm_kb)
echo "calls: $calls in $dt s ($(awk -v c="$calls" -v t="$dt" 'BEGIN { printf "%.0f", c / t }')/s), failed: $failed, refused as busy: $busy"
echo "server descriptors: $fds0 at start, peak $peak_fds, $fds1 after"
echo "server RSS: $rss0 KiB at start (anonymous $anon0), peak $hwm, $rss1 after (anonymous $anon1): $((rss1 - rss0)) KiB more"
check "every call's result was correct ($failed of $calls failed)" test "$failed" = 0
check "no call was refused (limits sized for the load)" test "$busy" = 0
[ "$failed" = 0 ] || cat "$W"/w*.log | grep -v "^$" | head -n 20
check "descriptors back to the start value ($fds1 vs $fds0)" test "$fds1" -le "$fds0"
# Back to the start value: the server returns freed heap to the system
# (server.c: server_malloc_policy, malloc_trim when idle). What stays is
# bounded whatever the load: a few pages in each of at most 4 malloc arenas
# and glibc's cache of ended threads' stacks (their pages are released but
# for the few the thread last touched), about 0.2-0.4 MiB. Allow 1 MiB: a
# leak grows with the number of calls (thousands even in the short form),
# and the arenas' retention this replaced was 2-4 MiB.
# Sanitizer builds hold freed memory in a quarantine: RSS is printed, not
# judged there.
if grep -qa __asan_init "$BIN"; then
    echo "note: sanitizer build: RSS not judged"
else
    check "RSS back to the start value (+1 MiB allowed: $rss1 vs $rss0 KiB)" \
        test "$rss1" -le $((rss0 + 1024))
fi
stop_server
check "server log free of sanitizer reports" sanitizer_clean

# ---------------------------------------------------------------- faults
section "faults: server killed during $KILLED uploads and $KILLED downloads"
start_server
temporaries() { find "$@" -name '*.incomplete' 2>/dev/null; }
count_tmp() { temporaries "$1" | wc -l; }
for i in $(seq 1 "$KILLED"); do
    truncate -s 2G "$L/up-$i" "$R/down-$i"
    echo "old $i" >"$L/old-$i"
done
for i in $(seq 1 "$KILLED"); do
    "$BIN" -c "$CONF" send-file -q "$L/up-$i" "/up-$i" 2>"$W/up-$i.err" &
    # Half of the downloads replace an existing local file.
    dst=$L/down-$i
    [ $((i % 2)) = 0 ] && dst=$L/old-$i
    "$BIN" -c "$CONF" recv-file -q "/down-$i" "$dst" 2>"$W/down-$i.err" &
done
all_under_way() {
    [ "$(count_tmp "$R")" -ge "$KILLED" ] && [ "$(count_tmp "$L")" -ge "$KILLED" ]
}
check "all $((2 * KILLED)) transfers under way" wait_for 60 all_under_way
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
wait $(jobs -p) 2>/dev/null
partial=0
for i in $(seq 1 "$KILLED"); do
    [ -e "$R/up-$i" ] && partial=$((partial + 1))
    if [ $((i % 2)) = 0 ]; then
        [ "$(cat "$L/old-$i")" = "old $i" ] || partial=$((partial + 1))
    else
        [ -e "$L/down-$i" ] && partial=$((partial + 1))
    fi
done
check "no partial file under a real name on either side ($partial)" test "$partial" = 0
check "every client reported the failure" \
    eval '[ "$(cat "$W"/up-*.err "$W"/down-*.err | grep -Ec "^pipeline( [a-z-]+)?: ")" -ge $((2 * KILLED)) ]'
check "the clients removed their temporaries ($(count_tmp "$L") left)" test "$(count_tmp "$L")" = 0
left=$(count_tmp "$R")
start_server
echo "server-side temporaries: $left after the kill, $(count_tmp "$R") after restart"
if grep -q "stale temporar" "$W/server.log"; then
    check "the restarted server removed its stale temporaries" test "$(count_tmp "$R")" = 0
else
    echo "note: this server does not clean stale temporaries at start (issue 8 item 10)"
    rm -f $(temporaries "$R")
fi
rm -f "$L"/up-* "$R"/down-*

section "faults: a client killed (-9) during each call type"
sleep 0.3
fdsk=$(fds)
# The remote command (not the client, whose command line holds the same
# words): "sleep 610N" itself or the shell around it.
remote_left() { pgrep -f "^(/bin/)?(sh -c )?sleep 610$1" >/dev/null; }
truncate -s 2G "$L/big" "$R/big"
mkdir -p "$L/tree/a/b" "$R/tree/a/b"
truncate -s 2G "$L/tree/a/b/f" "$R/tree/a/b/f"
tmp_in() { [ "$(count_tmp "$1")" -gt 0 ]; }
# kill_during WHAT CONDITION command...: starts the client, waits until
# CONDITION holds (the call is under way), then kills it with SIGKILL.
kill_during() {
    local what=$1 cond=$2
    shift 2
    # The binary itself in the background, so $! is the client.
    "$BIN" -c "$CONF" "$@" >/dev/null 2>&1 &
    local pid=$!
    if wait_for 20 eval "$cond"; then
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        good "client killed during $what"
    else
        bad "$what never got under way"
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
}
kill_during run "remote_left 1" run -n -- sh -c 'sleep 6101; true'
# A stdin that stays open and silent: a FIFO we hold open ourselves.
mkfifo "$W/silent"
exec 9<>"$W/silent"
kill_during "run with stdin" "remote_left 2" \
    run -i --command 'sleep 6102; cat >/dev/null' <"$W/silent"
exec 9<&-
kill_during send-file 'tmp_in "$R"' send-file -q "$L/big" "/k-big"
kill_during recv-file 'tmp_in "$L"' recv-file -q "/big" "$L/k-big"
rm -f $(temporaries "$L") # a killed client cannot clean up after itself
kill_during send-dir 'tmp_in "$R"' send-dir -q "$L/tree" "/k-tree"
kill_during recv-dir 'tmp_in "$L"' recv-dir -q "/tree" "$L/k-tree"
rm -f $(temporaries "$L")
kill_during ping true ping -q
gone() { ! remote_left 1 && ! remote_left 2; }
check "no remote process left after the clients died" wait_for 15 gone
check "no partial file under a real name" \
    eval '[ ! -e "$R/k-big" ] && [ ! -e "$L/k-big" ] && [ ! -e "$R/k-tree/a/b/f" ] && [ ! -e "$L/k-tree/a/b/f" ]'
back() { [ "$(fds)" -le "$fdsk" ]; }
check "server descriptors back to $fdsk ($(wait_for 15 back; fds))" back
check "no server-side temporary left" wait_for 10 eval '[ "$(count_tmp "$R")" = 0 ]'
check "the server still serves" eval 'pl ping -q >/dev/null'
stop_server
check "server log free of sanitizer reports" sanitizer_clean

section "hostile: see ctest integration/test_hostile, integration/test_dos, unit/test_files_hostile, unit/test_sigpipe (normal and ASan+UBSan builds)"
if [ "$FAILS" -ne 0 ]; then
    echo "reliability: $FAILS checks failed (server log: KEEP=1 keeps $W)"
    exit 1
fi
echo "reliability: all checks passed"
