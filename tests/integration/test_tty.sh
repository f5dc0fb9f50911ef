#!/usr/bin/env bash
# run -t: a terminal in the enclave, driven through a real local terminal
# (tests/integration/tty_driver.py plays it with Python's pty module):
# tty, size, TERM, resizing, full-screen programs, Ctrl-C, exit status,
# the local modes restored on every way out, no remote process left, and
# server.allow_tty.
. "$(dirname "$0")/lib.sh"
DRIVER="$PIPELINE_SRC/tests/integration/tty_driver.py"

start_server unix
W=$(mktemp -d "$TESTROOT/work.XXXXXX")
for c in session signals shell notty; do
    if /usr/bin/python3 "$DRIVER" "$c" "$PIPELINE_BIN" "$CONF" "$W"; then
        ok "terminal case: $c"
    else
        fail "terminal case: $c"
    fi
done
check "server log names the terminal session with its duration" \
    grep -qE 'exec by .*\(terminal\): pid [0-9]+, .*[0-9.]+ s' "$T/server.log"
stop_server

start_server unix "server: { allow_tty = false; };"
out=$(tpl run -tt -- true 2>&1 </dev/null) && rc=0 || rc=$?
check "server.allow_tty = false refuses -tt (exit $rc): $out" \
    eval 'test "$rc" != 0 && grep -qF "terminals are disabled on this server (server.allow_tty)" <<<"$out"' 
check "exec without a terminal still works with allow_tty = false" \
    eval 'test "$(tpl run -n -- echo plain)" = plain'
stop_server
finish
