#!/bin/bash
# Exec at volume: 100 MiB of stdin into sha256sum, 1 GiB of stdout into
# wc -c, and both directions at once, with constant memory on both ends
# (peak RSS of client and server at most 16 MiB). Prints the figures.
. "$(dirname "$0")/lib.sh"

# After stop_server: a sanitizer build reports errors and leaks in the log.
sanitizer_clean() { ! grep -qE 'Sanitizer|runtime error' "$T/server.log"; }

LIMIT_KIB=16384
# Sanitizer builds map shadow memory: figures are printed, not judged.
SANITIZED=0
LIMIT="<= $LIMIT_KIB"
if ldd "$PIPELINE_BIN" 2>/dev/null | grep -q 'lib[at]san'; then
    SANITIZED=1
    LIMIT="(sanitizer build: not judged)"
fi

now() { date +%s.%N; }
# Builtins only: the sampler must not steal CPU from what it measures.
hwm() {
    local k v _
    while read -r k v _; do
        [ "$k" = VmHWM: ] && echo "$v" && return
    done <"/proc/$1/status" 2>/dev/null
}
le_limit() { [ "$SANITIZED" = 1 ] || [ "${1:-999999}" -le "$LIMIT_KIB" ]; }

# sampled_hwm PID: the peak RSS (KiB) of a running process, sampled until
# it exits. VmHWM only grows, so the last sample is the peak up to a few
# milliseconds before exit. (Counting through a wrapper's rusage would add
# the wrapper's own pages: a vfork'd child inherits its parent's peak.)
sampled_hwm() {
    local pid=$1 v peak=0
    while kill -0 "$pid" 2>/dev/null; do
        v=$(hwm "$pid")
        [ -n "$v" ] && peak=$v
        sleep 0.1
    done
    echo "$peak"
}

for transport in unix tcp; do
    start_server "$transport"

    # 100 MiB of stdin
    head -c 104857600 /dev/urandom >"$T/in.bin"
    want=$(sha256sum <"$T/in.bin" | cut -d' ' -f1)
    t0=$(now)
    "$PIPELINE_BIN" -c "$CONF" run -i -- sha256sum <"$T/in.bin" >"$T/sum" &
    pid=$!
    client_kib=$(sampled_hwm "$pid")
    wait "$pid"
    rc=$?
    secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN{print b-a}')
    got=$(cut -d' ' -f1 <"$T/sum")
    check "head -c 100M /dev/urandom | run -- sha256sum matches the local sum" \
        [ "$rc" = 0 -a "$got" = "$want" ]
    echo "     stdin 100 MiB: $(awk -v s="$secs" 'BEGIN{printf "%.0f", 104.8576/s}') MB/s, client peak RSS ${client_kib} KiB"
    check "client peak RSS streaming stdin: ${client_kib} KiB $LIMIT" le_limit "$client_kib"
    rm -f "$T/in.bin"

    # 1 GiB of stdout into wc -c (a FIFO so the client's own pid is known)
    mkfifo "$T/fifo"
    wc -c <"$T/fifo" >"$T/count" &
    wcpid=$!
    t0=$(now)
    "$PIPELINE_BIN" -c "$CONF" run -- head -c 1G /dev/zero >"$T/fifo" &
    pid=$!
    client_kib=$(sampled_hwm "$pid")
    wait "$pid"
    rc=$?
    wait "$wcpid"
    secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN{print b-a}')
    check "run -- head -c 1G /dev/zero | wc -c prints 1073741824" \
        [ "$rc" = 0 -a "$(cat "$T/count")" = 1073741824 ]
    echo "     stdout 1 GiB: $(awk -v s="$secs" 'BEGIN{printf "%.0f", 1073.741824/s}') MB/s ($secs s), client peak RSS ${client_kib} KiB"
    check "client peak RSS for 1 GiB of output: ${client_kib} KiB $LIMIT" le_limit "$client_kib"

    # both directions at once: no deadlock, every byte back
    head -c 52428800 /dev/urandom >"$T/both.bin"
    want=$(sha256sum <"$T/both.bin" | cut -d' ' -f1)
    got=$("$PIPELINE_BIN" -c "$CONF" run -i -- cat <"$T/both.bin" | sha256sum | cut -d' ' -f1)
    check "50 MiB through remote cat, both directions streaming at once" [ "$got" = "$want" ]
    got=$("$PIPELINE_BIN" -c "$CONF" run -i --command 'tee /dev/stderr' <"$T/both.bin" 2>"$T/both.err" | sha256sum | cut -d' ' -f1)
    check "50 MiB to stdout and stderr at once, both intact" \
        [ "$got" = "$want" -a "$(sha256sum <"$T/both.err" | cut -d' ' -f1)" = "$want" ]
    rm -f "$T/both.bin" "$T/both.err"

    server_kib=$(hwm "$SERVER_PID")
    echo "     server peak RSS over all of the above: ${server_kib} KiB"
    check "server peak RSS: ${server_kib} KiB $LIMIT" le_limit "$server_kib"
    stop_server
    check "no sanitizer report in the server log" sanitizer_clean
done

finish
