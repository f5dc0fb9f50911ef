#!/bin/bash
# Big transfers, tmpfs to tmpfs when the test may mount one: 1 GiB of
# random data each way over unix and tcp (throughput printed), peak RSS of
# both ends (at most 16 MiB outside sanitizer builds), and a sparse file
# larger than 4 GiB that round-trips with the right size and contents and
# stays sparse on both receivers.
. "$(dirname "$0")/lib.sh"

GIB=$((1024 * 1024 * 1024))
RSS_LIMIT_KIB=16384

# Sanitizer builds carry shadow memory: RSS is printed, not judged.
sanitized() { grep -qa __asan_init "$PIPELINE_BIN"; }

# measured CMD...: runs CMD, sets RC, SECS and RSS_KIB, its peak RSS read
# from /proc (VmHWM) while it runs. (getrusage's ru_maxrss of a child
# counts the parent's pages from before exec, so it cannot be used.)
measured() {
    local t0 t1 pid k v state
    RSS_KIB=0
    t0=$(date +%s%N)
    "$@" &
    pid=$!
    while [ -r "/proc/$pid/status" ]; do
        state=
        while read -r k v _; do
            case $k in
            State:) state=$v ;;
            VmHWM:) RSS_KIB=$v ;;
            esac
        done <"/proc/$pid/status" 2>/dev/null
        [ "$state" = Z ] && break
        sleep 0.05
    done
    RC=0
    wait "$pid" || RC=$?
    t1=$(date +%s%N)
    SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
}
mbps() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.0f", b / t / 1e6 }'; }
rss_ok() { sanitized || [ "$1" -le "$RSS_LIMIT_KIB" ]; }
server_rss_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status"; }
# Allocated bytes of a file: small for a sparse file kept sparse.
allocated() { echo $(($(stat -c %b "$1") * $(stat -c %B "$1"))); }

BIG=$TESTROOT/big
mkdir -p "$BIG"
if mount -t tmpfs -o size=3300m tmpfs "$BIG" 2>/dev/null; then
    echo "# on tmpfs $BIG"
else
    echo "# cannot mount a tmpfs: using $BIG on disk"
fi
head -c 1G /dev/urandom >"$BIG/src"
# Fresh pages are slow to fault in on a VM: touch the space the copies
# will use once, so the figures measure the transfer.
dd if=/dev/zero of="$BIG/warm" bs=1M count=2048 status=none
rm -f "$BIG/warm"

for transport in unix tcp; do
    start_server "$transport"
    measured "$PIPELINE_BIN" -c "$CONF" send-file -q "$BIG/src" "$BIG/remote"
    check "send-file 1 GiB over $transport" test "$RC" = 0
    echo "PERF send-file 1 GiB over $transport: $(mbps $GIB "$SECS") MB/s" \
        "($SECS s), client peak RSS $RSS_KIB KiB"
    check "... arrives byte-identical" cmp "$BIG/src" "$BIG/remote"
    check "... client peak RSS $RSS_KIB KiB <= $RSS_LIMIT_KIB" rss_ok "$RSS_KIB"

    measured "$PIPELINE_BIN" -c "$CONF" recv-file -q "$BIG/remote" "$BIG/back"
    check "recv-file 1 GiB over $transport" test "$RC" = 0
    echo "PERF recv-file 1 GiB over $transport: $(mbps $GIB "$SECS") MB/s" \
        "($SECS s), client peak RSS $RSS_KIB KiB"
    check "... comes back byte-identical" cmp "$BIG/src" "$BIG/back"
    check "... client peak RSS $RSS_KIB KiB <= $RSS_LIMIT_KIB" rss_ok "$RSS_KIB"
    rss=$(server_rss_kib)
    echo "PERF server peak RSS over both transfers: $rss KiB"
    check "server peak RSS $rss KiB <= $RSS_LIMIT_KIB" rss_ok "$rss"
    rm -f "$BIG/remote" "$BIG/back"
    stop_server
done
rm -f "$BIG/src"

# ---- a sparse file over 4 GiB: data at the start, across the 4 GiB
# boundary and at the very end; holes everywhere else ----
SIZE=$((4 * GIB + 3 * 1024 * 1024 + 7))
truncate -s "$SIZE" "$BIG/sparse"
head -c 1M /dev/urandom | dd of="$BIG/sparse" conv=notrunc status=none
head -c 1M /dev/urandom |
    dd of="$BIG/sparse" bs=512K seek=$((8 * 1024 - 1)) conv=notrunc status=none
printf 'the end' |
    dd of="$BIG/sparse" bs=1 seek=$((SIZE - 7)) conv=notrunc status=none
start_server tcp
measured "$PIPELINE_BIN" -c "$CONF" send-file -q "$BIG/sparse" \
    "$BIG/sparse.remote"
check "send-file of a $SIZE-byte sparse file" test "$RC" = 0
echo "PERF send-file sparse $SIZE bytes: $(mbps "$SIZE" "$SECS") MB/s"
check "... arrives with the right size" \
    test "$(stat -c %s "$BIG/sparse.remote")" = "$SIZE"
check "... and stays sparse: $(allocated "$BIG/sparse.remote") B allocated" \
    test "$(allocated "$BIG/sparse.remote")" -lt $((64 * 1024 * 1024))
check "... byte-identical" cmp "$BIG/sparse" "$BIG/sparse.remote"
measured "$PIPELINE_BIN" -c "$CONF" recv-file -q "$BIG/sparse.remote" \
    "$BIG/sparse.back"
check "recv-file of the sparse file" test "$RC" = 0
echo "PERF recv-file sparse $SIZE bytes: $(mbps "$SIZE" "$SECS") MB/s"
check "... comes back with the right size" \
    test "$(stat -c %s "$BIG/sparse.back")" = "$SIZE"
check "... and stays sparse: $(allocated "$BIG/sparse.back") B allocated" \
    test "$(allocated "$BIG/sparse.back")" -lt $((64 * 1024 * 1024))
check "... byte-identical" cmp "$BIG/sparse" "$BIG/sparse.back"
rss=$(server_rss_kib)
check "server peak RSS $rss KiB <= $RSS_LIMIT_KIB" rss_ok "$rss"
stop_server
finish
