#!/bin/bash
# Denial of service and resource bounds (issue 8, items 1-4): a peer over
# server.max_connections cannot hold the accept loop; GetFile refuses file
# types that block for ever, and waits watch the peer; a directory walk
# holds a bounded number of descriptors and "too many open files" is said
# as such; detached commands count in server.max_execs and cost no thread
# each. Also: deep trees still transfer intact through the bounded walk.
. "$(dirname "$0")/lib.sh"

DOS="$PIPELINE_SRC/tests/integration/dos.py"
dos() { /usr/bin/python3 "$DOS" "$1" "$ADDR" "${@:2}"; }
# dos_bg OUT SCENARIO ARGS...: in the background; $! is python itself.
dos_bg() {
    local out=$1
    shift
    /usr/bin/python3 "$DOS" "$1" "$ADDR" "${@:2}" >"$out" 2>&1 &
}
fds() { ls "/proc/$SERVER_PID/fd" 2>/dev/null | wc -l; }
threads() { awk '/^Threads:/ {print $2}' "/proc/$SERVER_PID/status"; }
# wait_for SECONDS command...: polls until the command succeeds.
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
ready() { grep -q READY "$1" 2>/dev/null; }
fds_at_most() { [ "$(fds)" -le "$1" ]; }
now() { date +%s.%N; }
# secs_lt T0 LIMIT: less than LIMIT seconds since T0.
secs_lt() { awk -v a="$1" -v b="$(now)" -v l="$2" 'BEGIN { exit !(b - a < l) }'; }

# ---- 1. an over-limit peer that keeps dripping bytes ----
start_server unix "server = { max_connections = 1; handshake_timeout = 30; };"
dos_bg "$T/hold.out" hold 1 30
holder=$!
wait_for 10 ready "$T/hold.out"
dos_bg "$T/drip.out" drip 20
dripper=$!
wait_for 10 ready "$T/drip.out"
out=$(dos busy-answer 5 2>&1)
check "a new peer is told busy at once while a refused one drips: $out" \
    grep -q "^OK" <<<"$out"
wait "$dripper"
secs=$(awk '/^OK/ {print $4}' "$T/drip.out")
check "the dripping peer is dropped after a bounded time (${secs:-?} s)" \
    awk -v s="${secs:-99}" 'BEGIN { exit !(s < 5) }'
dos_bg "$T/drip2.out" drip 20
dripper=$!
wait_for 10 ready "$T/drip2.out"
sleep 0.2
t0=$(now)
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
check "SIGTERM stops the server promptly while a refused peer drips" \
    secs_lt "$t0" 5
SERVER_PID=
kill "$holder" "$dripper" 2>/dev/null
wait "$holder" "$dripper" 2>/dev/null

# ---- 2. file types GetFile serves; waits watch the peer ----
start_server unix "server = { idle_timeout = 2; };"
mkfifo "$T/fifo"
# A writer that never writes: a reader of the FIFO would wait for ever.
(exec sleep 60 >"$T/fifo") 2>/dev/null &
writer=$!
t0=$(now)
expect_err 1 "$T/fifo: a FIFO; get-file serves regular files only" \
    "get-file of a FIFO is refused" tpl recv-file "$T/fifo" "$T/out"
check "... at once" secs_lt "$t0" 5
check "... and nothing is written" test ! -e "$T/out"
expect_err 1 "/dev/ptmx: a character device; get-file serves regular files only" \
    "get-file of /dev/ptmx is refused" tpl recv-file /dev/ptmx "$T/out"
expect_err 1 "$T/s.sock: a socket" "get-file of a socket is refused" \
    tpl recv-file "$T/s.sock" "$T/out"
check "/proc files are still served" \
    eval 'tpl recv-file -q /proc/self/status "$T/status" && grep -q "^Name:" "$T/status"'
check "/sys files are still served" \
    eval 'tpl recv-file -q /sys/kernel/mm/transparent_hugepage/enabled "$T/thp" ||
          tpl recv-file -q /sys/devices/system/cpu/online "$T/thp"'
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
# A client waiting on a silent stdin still hears the server give up
# (server.idle_timeout) instead of waiting for stdin to end.
t0=$(now)
rc=0
mkfifo "$T/silent"
exec 9<>"$T/silent" # open and silent for as long as we hold it
tpl send-file -q - "$T/from-stdin" <"$T/silent" 2>"$T/stdin.err" || rc=$?
exec 9<&-
check "send-file from a silent stdin ends when the server gives up (exit $rc)" \
    test "$rc" != 0
check "... within seconds, not when stdin ends" secs_lt "$t0" 12
check "... and no file is left under the name" test ! -e "$T/from-stdin"
stop_server

# ---- 3. descriptors of a directory walk ----
start_server unix "server = { max_connections = 8; };"
# A deep tree with the bulk at the bottom: a client that stops reading
# there leaves the server blocked at depth 60.
p="$T/deep"
for i in $(seq 1 60); do p="$p/d$i"; done
mkdir -p "$p"
truncate -s 512M "$p/big"
sleep 0.2
base=$(fds)
dos_bg "$T/stall.out" getdir-stall "$T/deep" 30
staller=$!
wait_for 10 ready "$T/stall.out"
# Let the walk go as deep as it will before the socket buffer fills.
sleep 1
held=$(($(fds) - base))
check "a stalled get-dir at depth 60 holds few descriptors ($held)" \
    test "$held" -le 16
kill "$staller" 2>/dev/null
wait "$staller" 2>/dev/null
check "... and they are released when the client goes ($(fds) vs $base)" \
    wait_for 10 fds_at_most "$base"
rm -rf "$T/deep"
# The bounded walk must still send everything: entries before and after
# each subdirectory, 20 levels deep.
p="$T/tree"
for i in $(seq 1 20); do
    mkdir -p "$p/sub"
    echo "a$i" >"$p/a"
    echo "z$i" >"$p/z"
    mkdir "$p/empty$i"
    ln -s "a" "$p/link"
    p="$p/sub"
done
check "a 20-level tree comes back intact through the bounded walk" \
    eval 'tpl recv-dir -q "$T/tree" "$T/tree-copy" && diff -r --no-dereference "$T/tree" "$T/tree-copy"'
stop_server

# ---- 3b. "too many open files" is said as such ----
"$PIPELINE_BIN" keygen "$TESTROOT/ck" >/dev/null
printf '%s\n' "$("$PIPELINE_BIN" pubkey --key-file "$TESTROOT/ck")" >"$TESTROOT/ak"
start_server unix "key_file = \"$TESTROOT/ck\";" \
    "server = { authorized_keys = \"$TESTROOT/ak\"; handshake_timeout = 30; };"
limit=40
prlimit --pid "$SERVER_PID" --nofile=$limit:$limit
# Leave exactly one descriptor free below the limit (inherited ones may
# sit above it): the next connection takes it, and then the server can
# open nothing more.
below() { ls "/proc/$SERVER_PID/fd" | awk -v l=$limit '$1 < l' | wc -l; }
# The count once it stopped moving (connections still closing or being
# accepted would make it wrong).
stable_below() {
    local a b
    b=$(below)
    for _ in $(seq 1 40); do
        sleep 0.25
        a=$b
        b=$(below)
        [ "$a" = "$b" ] && break
    done
    echo "$b"
}
holders=
for attempt in 1 2 3 4; do
    missing=$((limit - 1 - $(stable_below)))
    [ "$missing" -le 0 ] && break
    dos_bg "$T/hold-$attempt.out" hold "$missing" 60
    holders="$holders $!"
    wait_for 30 ready "$T/hold-$attempt.out"
done
check "the server holds all but one descriptor ($(stable_below) of $limit)" \
    test "$(below)" = $((limit - 1))
out=$(tpl ping 2>&1)
check "out of descriptors, the client is told so ($(below) of $limit): $out" \
    grep -q "too many open files" <<<"$out"
kill $holders 2>/dev/null
wait $holders 2>/dev/null
check "... and served again once they are back" \
    wait_for 20 eval 'pl ping -q >/dev/null 2>&1'
stop_server

# ---- 4. detached commands ----
start_server unix "server = { max_execs = 4; };"
# Detached commands that run until we create $T/go (however slow the
# machine, none ends before the checks below).
job="while [ ! -e '$T/go' ]; do sleep 0.1; done"
n=0
for i in 1 2 3 4; do
    pl run --no-wait -- sh -c "$job" && n=$((n + 1))
done
check "4 detached commands start under max_execs = 4 ($n)" test "$n" = 4
expect_err 255 "server.max_execs is 4" "a 5th is refused, naming the limit" \
    tpl run --no-wait -- sh -c "$job"
t=$(threads)
check "detached commands cost no thread each ($t threads)" test "$t" -le 3
zombies() { ps --ppid "$SERVER_PID" -o stat= | grep -c Z; }
children() { ps --ppid "$SERVER_PID" -o pid= | wc -l; }
touch "$T/go"
check "they are reaped when they end: no child, no zombie" \
    wait_for 15 eval '[ "$(children)" = 0 ]'
expect_rc 0 "their slots come back" pl run --no-wait -- true
check "the ends are logged" grep -q "detached pid .* ended: exit 0" "$T/server.log"
stop_server

finish
