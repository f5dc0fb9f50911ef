# Shared helpers for integration tests: they drive the real `pipeline`
# binary ($PIPELINE_BIN) over unix sockets and TCP loopback.
#
# Usage in a test:
#   . "$(dirname "$0")/lib.sh"
#   for transport in unix tcp; do
#       start_server "$transport"        # sets ADDR, CONF, SERVER_PID, T (tmp dir)
#       pl run -- true || fail "..."     # client with the test's config
#       stop_server
#   done
#   finish
set -u
PIPELINE_BIN=${PIPELINE_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/pipeline}
PIPELINE_SRC=${PIPELINE_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TEST_NAME=$(basename "$0" .sh)
TESTROOT=$(mktemp -d "/tmp/pl-${TEST_NAME}.XXXXXX")
# Keys and known servers live per user: give every test its own "user",
# never the real one's (and no config from the environment).
export XDG_CONFIG_HOME="$TESTROOT/xdg"
unset PIPELINE_CONFIG
FAILURES=0
CHECKS=0
SERVER_PID=

cleanup() {
    [ -n "${SERVER_PID}" ] && kill "$SERVER_PID" 2>/dev/null
    wait 2>/dev/null
    # tmpfs mounts made by tests
    for m in $(awk -v r="$TESTROOT" '$2 ~ "^"r {print $2}' /proc/mounts 2>/dev/null); do
        umount "$m" 2>/dev/null
    done
    [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TESTROOT"
}
trap cleanup EXIT

fail() {
    echo "FAIL [$TEST_NAME${TRANSPORT:+/$TRANSPORT}]: $*" >&2
    FAILURES=$((FAILURES + 1))
}
ok() {
    CHECKS=$((CHECKS + 1))
    echo "ok   [$TEST_NAME${TRANSPORT:+/$TRANSPORT}]: $*"
}
# check "description" command...: passes when the command succeeds
check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}
# expect_rc WANT "description" command...
expect_rc() {
    local want=$1 what=$2
    shift 2
    local rc=0
    "$@" || rc=$?
    if [ "$rc" = "$want" ]; then ok "$what (exit $rc)"; else fail "$what: exit $rc, expected $want"; fi
}
finish() {
    if [ "$FAILURES" -ne 0 ]; then
        echo "$TEST_NAME: $FAILURES failed, $CHECKS passed" >&2
        if [ -n "${T:-}" ] && [ -f "$T/server.log" ]; then
            echo "--- last server log ---" >&2
            tail -n 40 "$T/server.log" >&2
        fi
        exit 1
    fi
    if [ "$CHECKS" -eq 0 ]; then
        echo "$TEST_NAME: no checks ran" >&2
        exit 1
    fi
    echo "$TEST_NAME: all $CHECKS checks passed"
    exit 0
}

free_tcp_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_server TRANSPORT [extra config lines] : a fresh directory $T with a
# config $CONF shared by server and client (each gets its own key file).
start_server() {
    TRANSPORT=$1
    shift
    T=$(mktemp -d "$TESTROOT/$TRANSPORT.XXXXXX")
    case "$TRANSPORT" in
    unix) ADDR="unix:$T/s.sock" ;;
    tcp) ADDR="tcp:127.0.0.1:$(free_tcp_port)" ;;
    *) echo "unknown transport $TRANSPORT" >&2; exit 2 ;;
    esac
    CONF="$T/pipeline.conf"
    {
        echo "address = \"$ADDR\";"
        for line in "$@"; do echo "$line"; done
    } > "$CONF"
    "$PIPELINE_BIN" -c "$CONF" listen --key-file "$T/server.key" 2>>"$T/server.log" &
    SERVER_PID=$!
    wait_server
}

wait_server() {
    local i
    for i in $(seq 1 100); do
        if "$PIPELINE_BIN" -c "$CONF" ping -q >/dev/null 2>&1; then return 0; fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "server exited early:" >&2
            cat "$T/server.log" >&2
            exit 1
        fi
        sleep 0.05
    done
    echo "server did not come up on $ADDR" >&2
    cat "$T/server.log" >&2
    exit 1
}

stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    SERVER_PID=
}

server_alive() { kill -0 "$SERVER_PID" 2>/dev/null; }

# The client, with the test's config.
pl() { "$PIPELINE_BIN" -c "$CONF" "$@"; }

# A client that can never hang the test.
tpl() { timeout 60 "$PIPELINE_BIN" -c "$CONF" "$@"; }

# expect_err RC TEXT WHAT cmd...: exit code RC and exactly one stderr line,
# which contains TEXT.
expect_err() {
    local want=$1 text=$2 what=$3
    shift 3
    local rc=0
    "$@" >/dev/null 2>"$T/stderr" || rc=$?
    if [ "$rc" = "$want" ] && grep -qF -- "$text" "$T/stderr" &&
        [ "$(wc -l <"$T/stderr")" = 1 ]; then
        ok "$what (exit $rc)"
    else
        fail "$what: exit $rc (want $want), stderr: $(head -c 400 "$T/stderr")"
    fi
}

# not_grep ARGS...: passes when grep finds nothing (and prints what it found).
not_grep() { ! grep -n "$@"; }
# not CMD...: passes when CMD fails.
not() { ! "$@"; }
