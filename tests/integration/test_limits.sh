#!/bin/bash
# server.max_connections: connections over the limit are told why (a
# cleartext "error: server busy" line) and the server recovers once the
# running ones end.
. "$(dirname "$0")/lib.sh"

for transport in unix tcp; do
    start_server "$transport" "server = { max_connections = 2; };"
    pl run -n -- sleep 2 & a=$!
    pl run -n -- sleep 2 & b=$!
    sleep 0.5
    out=$(pl ping 2>&1)
    rc=$?
    check "a third connection is refused (exit $rc)" test "$rc" = 255
    check "... and told the server is busy: $out" \
        grep -q "server busy" <<<"$out"
    check "the two running commands finish normally" wait "$a" "$b"
    check "after they end the server serves again" eval 'pl ping -q >/dev/null'
    check "the refusal is logged" grep -q "max_connections" "$T/server.log"
    stop_server
done
finish
