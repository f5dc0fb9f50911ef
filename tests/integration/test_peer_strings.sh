# Peer bytes never leak raw: not into the server log (forged lines), not
# into proto3 string fields (invalid UTF-8 a strict decoder rejects), not
# onto the client's terminal (escape sequences from a malicious server),
# and a server started with fds 0-2 closed never logs into a client socket.
. "$(dirname "$0")/lib.sh"

PS="$PIPELINE_SRC/tests/integration/peer_strings.py"
py() { timeout 60 /usr/bin/python3 "$PS" "$@"; }
# no_raw_controls FILE: no ESC, BEL, CR or C1 CSI bytes in FILE.
no_raw_controls() { ! LC_ALL=C grep -q $'[\x1b\x07\r]\|\xc2\x9b' "$1"; }

for transport in unix tcp; do
    # ---- fds 0, 1 and 2 closed at start ----
    T=$(mktemp -d "$TESTROOT/$transport.XXXXXX")
    case $transport in
    unix) ADDR="unix:$T/s.sock" ;;
    tcp) ADDR="tcp:127.0.0.1:$(free_tcp_port)" ;;
    esac
    CONF="$T/pipeline.conf"
    printf 'address = "%s";\nserver = { handshake_timeout = 2; };\n' "$ADDR" >"$CONF"
    "$PIPELINE_BIN" -c "$CONF" listen --key-file "$T/server.key" <&- >&- 2>&- &
    SERVER_PID=$!
    TRANSPORT=$transport
    wait_server
    out=$(py quiet-sockets "$ADDR" -- "$PIPELINE_BIN" -c "$CONF" run -n -- echo MARKER-run 2>&1)
    check "started with fds 0-2 closed, raw connections get no log text: $out" \
        grep -q "^OK" <<<"$out"
    check "the server still serves" eval 'pl run -n -- echo hi | grep -qx hi'
    stop_server

    # ---- the server side: log lines and string fields ----
    # A root keeps every path the hostile requests name inside the test.
    R="$TESTROOT/root-$transport"
    mkdir -p "$R"
    start_server "$transport" "server = { root = \"$R\"; };"
    out=$(py strict-utf8 "$ADDR" 2>&1)
    check "every answer parses with a strict UTF-8 decoder: $(tail -n 1 <<<"$out")" \
        eval '! grep -q "^FAIL" <<<"$out" && [ "$(grep -c "^OK" <<<"$out")" = 5 ]'
    out=$(py forged-log "$ADDR" 2>&1)
    check "forging requests answered: $out" grep -q "^OK" <<<"$out"
    stop_server
    check "server log is free of sanitizer reports" \
        eval '! grep -qE "Sanitizer|runtime error" "$T/server.log"'
    check "no forged line in the server log" \
        eval '! grep -q "^FORGED" "$T/server.log"'
    check "every log line starts with a timestamp" \
        eval '! grep -vq "^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T" "$T/server.log"'
    check "no raw control bytes in the server log" no_raw_controls "$T/server.log"
    check "the client's software is logged, escaped" \
        grep -qF 'evil 1.0\x0aFORGED line \x1b[31m' "$T/server.log"
    check "argv is logged, escaped" grep -qF 'true \x0aFORGED' "$T/server.log"
done
TRANSPORT=

# ---- the client side: a malicious server ----
T=$(mktemp -d "$TESTROOT/evil.XXXXXX")
CONF="$T/pipeline.conf"
# The one-shot evil server speaks ChaChaPoly only: ask for it, so the
# client neither fails on AESGCM nor retries after an error line.
printf 'connect_timeout = 10;\ncipher = "chachapoly";\n' >"$CONF"
EVIL_ADDR="unix:$T/evil.sock"
# evil MODE CLIENT-ARGS...: runs the client against a one-shot malicious
# server; its stdout and stderr end up in $T/client.out.
evil() {
    local mode=$1 i
    shift
    rm -f "$T/ready"
    /usr/bin/python3 "$PS" evil-server "$mode" "$T/evil.sock" "$T/evil.key" \
        >"$T/ready" 2>"$T/evil.err" &
    local epid=$!
    for i in $(seq 1 200); do
        grep -q READY "$T/ready" 2>/dev/null && break
        sleep 0.05
    done
    timeout 60 "$PIPELINE_BIN" -c "$CONF" "$1" --address "$EVIL_ADDR" \
        "${@:2}" >"$T/client.out" 2>&1
    wait "$epid"
}
# shown MODE WHAT TEXT CLIENT-ARGS...
shown() {
    local mode=$1 what=$2 text=$3
    shift 3
    evil "$mode" "$@"
    if no_raw_controls "$T/client.out" && grep -qF -- "$text" "$T/client.out"; then
        ok "$what: shown escaped"
    else
        fail "$what: $(od -c "$T/client.out" | head -n 12)"
    fi
}
shown status "Status.message" 'gone \x1b]0;owned\x07\x1b[2J\x0d\x0aFORGED \xc2\x9b31m' \
    run -n -- true
shown spawn "ExecResult.spawn_error" 'cannot run \x1b]0;owned' run -n -- x
shown dir "a directory entry name in a warning" 'odd\x1b]0;owned' \
    recv-dir -q --remotedir /x --localdir "$T/out"
shown ping "Hello and PingResult software" 'evil \x1b]0;owned' ping
# The pre-handshake `error: ` text: exactly the bytes that arrived, for
# every length around the 300-byte display limit (301-306 used to show
# up to 6 stale bytes after the message).
for n in 200 300 301 303 306 307 400; do
    evil "error-$n" ping
    shown_as=$(grep -o 'A*\(\.\.\.\)\?$' "$T/client.out" | head -n 1)
    want=$((n - 7))
    if [ "$want" -le 300 ]; then
        check "error: message of $n bytes shown whole" \
            test "$shown_as" = "$(printf 'A%.0s' $(seq 1 $want))"
    else
        check "error: message of $n bytes cut with ..." \
            eval '[[ "$shown_as" =~ ^A{290,305}\.\.\.$ ]]'
    fi
    check "error: message of $n bytes: no stale or raw bytes" \
        eval 'no_raw_controls "$T/client.out" && ! LC_ALL=C grep -q "[^ -~]" "$T/client.out"'
done
finish
