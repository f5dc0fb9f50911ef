#!/bin/bash
# Interrupted and failing transfers over unix and tcp: a client killed half
# way through a send or a receive, and full file systems on either end. The
# destination name never holds a partial file, temporaries go away, an
# older destination stays intact, and the server keeps serving.
. "$(dirname "$0")/lib.sh"

temporaries() { find "$@" -name '*.incomplete' 2>/dev/null; }
no_temporary() { [ -z "$(temporaries "$@")" ]; }
# A temporary in DIR holding at least BYTES: the transfer is under way.
temporary_has() {
    local f
    f=$(temporaries "$1" | head -n 1)
    [ -n "$f" ] && [ "$(stat -c %s "$f")" -ge "$2" ]
}
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
named_like() { [[ $(basename "$1") == $2 ]]; }
serving() { "$PIPELINE_BIN" -c "$CONF" ping -q >/dev/null 2>&1; }
server_fds() { ls "/proc/$SERVER_PID/fd" | wc -l; }
fds_are() { [ "$(server_fds)" = "$1" ]; }
# The server's descriptor count once it stops moving (4 s at most).
settled_fds() {
    local a b
    b=$(server_fds)
    for _ in $(seq 1 16); do
        sleep 0.25
        a=$b
        b=$(server_fds)
        [ "$a" = "$b" ] && break
    done
    echo "$b"
}

# A FIFO that yields 3 MiB and then nothing until killed: a transfer from
# it stays half done for as long as the test wants. Sets WRITER.
slow_source() {
    mkfifo "$1"
    (
        head -c 3M /dev/urandom
        exec sleep 120
    ) >"$1" &
    WRITER=$!
}
# The server serves regular files only (no FIFO): a receive is kept half
# done by stopping the client once its temporary exists, while it takes a
# large sparse file (about 5 s here; holes stay holes, so the temporary's
# size says nothing: its existence does).
big_source() { truncate -s 1G "$1"; }
# stop_when_under_way PID: waits for a temporary in $L, then stops PID.
stop_when_under_way() {
    wait_for 20 temporary_has "$L" 0 && kill -STOP "$1"
}
stop_source() {
    kill "$WRITER" 2>/dev/null
    wait "$WRITER" 2>/dev/null
}

for transport in unix tcp; do
    start_server "$transport"
    L=$T/local R=$T/remote
    mkdir -p "$L" "$R"
    printf x >"$L/one"
    serving
    # Settled: the ping's connection may still be closing on the server.
    fds_before=$(settled_fds)

    # ---- the client dies half way through a send ----
    echo "older version" >"$R/dest"
    slow_source "$L/fifo1"
    "$PIPELINE_BIN" -c "$CONF" send-file -q "$L/fifo1" "$R/dest" &
    client=$!
    check "send under way: the server writes a temporary" \
        wait_for 20 temporary_has "$R" 1048576
    tmp=$(temporaries "$R")
    check "... named .dest.XXXXXX.incomplete beside the destination" \
        named_like "$tmp" ".dest.??????.incomplete"
    check "... with mode 0600 while incomplete" \
        test "$(stat -c %a "$tmp")" = 600
    kill -9 "$client"
    wait "$client" 2>/dev/null
    check "client killed: the server removes the temporary" \
        wait_for 20 no_temporary "$R"
    check "... and the older destination is intact" \
        test "$(cat "$R/dest")" = "older version"
    stop_source

    slow_source "$L/fifo2"
    "$PIPELINE_BIN" -c "$CONF" send-file -q "$L/fifo2" "$R/fresh" &
    client=$!
    wait_for 20 temporary_has "$R" 1048576
    kill -9 "$client"
    wait "$client" 2>/dev/null
    check "a killed send to a new name: no temporary left" \
        wait_for 20 no_temporary "$R"
    check "... and no file under the destination name" test ! -e "$R/fresh"
    stop_source

    # ---- the client dies half way through a receive ----
    echo "older local" >"$L/got"
    big_source "$R/big3"
    "$PIPELINE_BIN" -c "$CONF" recv-file -q "$R/big3" "$L/got" &
    client=$!
    check "recv under way: the client writes a temporary" \
        stop_when_under_way "$client"
    kill -TERM "$client"
    kill -CONT "$client"
    wait "$client" 2>/dev/null
    check "SIGTERM: the client removes its temporary" no_temporary "$L"
    check "... and the local destination is untouched" \
        test "$(cat "$L/got")" = "older local"

    # ---- ... and through a directory receive ----
    # ro and deep lack u+w: they are held at 0700 until their contents
    # have arrived, and must get 555 even when the client is stopped.
    mkdir -p "$R/tree/ro/deep"
    big_source "$R/tree/ro/deep/big5"
    chmod 555 "$R/tree/ro/deep" "$R/tree/ro"
    "$PIPELINE_BIN" -c "$CONF" recv-dir -q "$R/tree" "$L/tree" &
    client=$!
    check "recv-dir under way: the client writes a temporary" \
        stop_when_under_way "$client"
    check "... in a directory held at 0700 meanwhile" \
        test "$(stat -c %a "$L/tree/ro/deep")" = 700
    kill -TERM "$client"
    kill -CONT "$client"
    rc=0
    wait "$client" 2>/dev/null || rc=$?
    check "SIGTERM: recv-dir dies of it (status $rc)" test "$rc" = 143
    check "... removes its temporary" no_temporary "$L/tree"
    check "... and gives the held directories their modes" \
        test "$(stat -c %a "$L/tree/ro") $(stat -c %a "$L/tree/ro/deep")" = "555 555"
    chmod -R u+w "$L/tree" "$R/tree"
    rm -rf "$L/tree" "$R/tree"

    # A stop signal ignored when the client started (nohup's HUP) stays
    # ignored: the receive goes on to the end.
    big_source "$R/big6"
    (
        trap '' HUP
        exec "$PIPELINE_BIN" -c "$CONF" recv-file -q "$R/big6" "$L/got6"
    ) &
    client=$!
    wait_for 20 temporary_has "$L" 0
    kill -HUP "$client"
    rc=0
    wait "$client" 2>/dev/null || rc=$?
    check "an ignored SIGHUP does not stop recv-file (exit $rc)" test "$rc" = 0
    check "... which completes" test "$(stat -c %s "$L/got6" 2>/dev/null)" = 1073741824
    rm -f "$R/big6" "$L/got6"

    big_source "$R/big4"
    "$PIPELINE_BIN" -c "$CONF" recv-file -q "$R/big4" "$L/got" &
    client=$!
    stop_when_under_way "$client"
    kill -9 "$client"
    wait "$client" 2>/dev/null
    check "SIGKILL mid recv: the local destination is untouched" \
        test "$(cat "$L/got")" = "older local"
    rm -f $(temporaries "$L") "$R/big3" "$R/big4" # nothing can clean up after SIGKILL
    check "the server keeps serving" serving

    # ---- the server's file system is full ----
    mkdir "$T/full"
    mount -t tmpfs -o size=1m tmpfs "$T/full"
    head -c 3M /dev/urandom >"$L/big"
    echo small >"$T/full/existing"
    expect_err 1 "pipeline send-file: remote: $T/full/big: No space left on device" \
        "send-file onto a full file system" tpl send-file "$L/big" "$T/full/big"
    check "... leaves nothing behind" test "$(ls -A "$T/full")" = existing
    check "... and the server keeps serving" serving
    expect_err 1 \
        "pipeline send-file: remote: $T/full/existing: No space left on device" \
        "replacing a file on a full file system" \
        tpl send-file "$L/big" "$T/full/existing"
    check "... leaves the old file intact" \
        test "$(cat "$T/full/existing")" = small
    check "... and no temporary" no_temporary "$T/full"
    check "a file that fits still goes through" \
        tpl send-file -q "$L/one" "$T/full/one"
    check "... intact" cmp "$L/one" "$T/full/one"

    # ---- the client's file system is full ----
    tpl send-file -q "$L/big" "$R/big"
    echo "older local" >"$T/full/got"
    expect_err 1 "pipeline recv-file: local: $T/full/got: No space left on device" \
        "recv-file onto a full local file system" \
        tpl recv-file "$R/big" "$T/full/got"
    check "... leaves the local destination intact" \
        test "$(cat "$T/full/got")" = "older local"
    check "... and no temporary" no_temporary "$T/full"
    check "the server keeps serving after all of it" serving
    check "... and transfers still work" tpl recv-file -q "$R/big" "$L/big2"
    check "... intact" cmp "$L/big" "$L/big2"
    check "the server's descriptors are back to $fds_before" \
        wait_for 20 fds_are "$fds_before"
    stop_server
done
finish
