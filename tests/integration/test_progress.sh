#!/bin/bash
# The progress bar: drawn on stderr when it is a terminal (here a pty made
# by script(1)), never when stderr is not a terminal, never with -q.
. "$(dirname "$0")/lib.sh"

start_server unix
head -c 8M /dev/urandom > "$T/src"
# script(1) gives the client a terminal and records what it printed.
on_tty() { script -qefc "$*" /dev/null; }

out=$(on_tty "$PIPELINE_BIN" -c "$CONF" send-file "$T/src" "$T/dst1" 2>&1 | tr '\r' '\n')
check "on a terminal send-file draws a bar with bytes and rate" \
    grep -Eq '\[#+\.*\].*MiB.*/s' <<<"$out"
check "... and the transfer completed" cmp "$T/src" "$T/dst1"
out=$(on_tty "$PIPELINE_BIN" -c "$CONF" recv-file "$T/dst1" "$T/back" 2>&1 | tr '\r' '\n')
check "on a terminal recv-file draws the bar too" grep -Eq '100%' <<<"$out"
out=$(on_tty "$PIPELINE_BIN" -c "$CONF" send-file -q "$T/src" "$T/dst2" 2>&1)
check "with -q nothing is printed on a terminal" test -z "$out"
out=$(pl send-file "$T/src" "$T/dst3" 2>&1)
check "without a terminal nothing is printed" test -z "$out"
check "all copies are intact" cmp "$T/src" "$T/dst3"
stop_server
finish
