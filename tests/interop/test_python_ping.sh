# Interop: the Python client (its generated pipeline_pb2 + dissononce, no C
# code) against the real C server, over a unix socket and TCP loopback,
# through the old script's command line (clients/python/pipeline_client.py).
. "${PIPELINE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

# stop_checked: stops the server, then fails on any sanitizer report in its
# log (ASan/UBSan builds report at exit).
stop_checked() {
    stop_server
    check "server log is free of sanitizer reports" \
        eval '! grep -qE "Sanitizer|runtime error" "$T/server.log"'
}

PY=/usr/bin/python3
CLIENT="$PIPELINE_SRC/clients/python/pipeline_client.py"
if ! $PY -c 'import dissononce, google.protobuf' 2>/dev/null; then
    echo "$TEST_NAME: /usr/bin/python3 cannot import dissononce/protobuf" \
         "(apt-get install python3-dissononce python3-protobuf)" >&2
    exit 1
fi
pyc() { $PY "$CLIENT" --timeout 5 "$@"; }
quiet() { "$@" >/dev/null 2>&1; }

# Keys made before any server starts, so authorized-keys files can list them.
PYKEY="$TESTROOT/py.key"
CKEY="$TESTROOT/c-client.key"
"$PIPELINE_BIN" keygen "$CKEY" || { echo "keygen failed" >&2; exit 1; }
CPUB=$("$PIPELINE_BIN" pubkey --key-file "$CKEY")
PYPUB=$(pyc --key-file "$PYKEY" pubkey)
OTHERPUB=$("$PIPELINE_BIN" keygen | "$PIPELINE_BIN" pubkey)

TRANSPORT=
check "python key file is created with mode 0600" \
    test "$(stat -c %a "$PYKEY")" = 600
# The Python client stores keys as the C tool does: each reads the other's.
check "C pubkey of the Python client's key file matches Python's" \
    test "$("$PIPELINE_BIN" pubkey --key-file "$PYKEY")" = "$PYPUB"
check "Python pubkey of a C key file matches C's" \
    test "$(pyc --key-file "$CKEY" pubkey)" = "$CPUB"

printf '%s the C client\n%s the python client\n' "$CPUB" "$PYPUB" > "$TESTROOT/auth-both"
printf '%s the C client only\n' "$CPUB" > "$TESTROOT/auth-c-only"

for transport in unix tcp; do
    start_server "$transport" "key_file = \"$CKEY\";"
    SERVER_PUB=$("$PIPELINE_BIN" pubkey --key-file "$T/server.key")
    payload="interop-$transport-$$"

    out=$(pyc --address "$ADDR" --key-file "$PYKEY" ping --payload "$payload" 2>"$T/py.err")
    rc=$?
    check "python ping exits 0" test "$rc" = 0
    check "python ping gets its payload echoed" grep -qx "payload: $payload" <<<"$out"
    check "python ping gets the server's software string" \
        grep -qx "software: pipeline [0-9][0-9.]*" <<<"$out"
    check "server Hello (message 2 payload) decoded" \
        grep -q "^server hello: pipeline [0-9.]*, protocol 1, features .*ping" <<<"$out"
    check "python sees the server key that \`pipeline pubkey\` prints" \
        grep -qx "server key: $SERVER_PUB" <<<"$out"
    check "server time is a plausible unix time in ns" \
        awk '/^server time:/ { t = $3 / 1e9; exit !(t > 1.6e9 && t < 4e9) }' <<<"$out"
    check "server log shows the python client's Hello and key" \
        grep -q "connected: client key $PYPUB, pipeline-python" "$T/server.log"

    # A binary payload survives the trip unchanged.
    out=$($PY - "$CLIENT" "$ADDR" <<'PY'
import sys, os
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import pipeline_client as pc
blob = bytes(range(256)) * 100
with pc.connect(sys.argv[2]) as c:
    for _ in range(3):   # several calls on one connection
        r = c.ping(blob)
        assert r.payload == blob
print("echoed", len(blob))
PY
)
    check "library: 25600-byte binary payload echoed three times on one connection" \
        test "$out" = "echoed 25600"

    expect_rc 0 "python ping with the right pinned key" \
        quiet pyc --address "$ADDR" --server-key "$SERVER_PUB" ping
    pyc --address "$ADDR" --server-key "$OTHERPUB" ping >/dev/null 2>"$T/py.err"
    rc=$?
    check "python ping with a wrong pinned key exits 255" test "$rc" = 255
    check "mismatch message names the expected and the received key" \
        grep -q "expected $OTHERPUB, received $SERVER_PUB" "$T/py.err"

    # exec may not be implemented yet; either way the answer must be clean.
    out=$(pyc --address "$ADDR" exec -n -- echo interop 2>"$T/py.err")
    rc=$?
    if grep -q CODE_UNIMPLEMENTED "$T/py.err"; then
        check "exec: server answers UNIMPLEMENTED with a Status (exit 255)" test "$rc" = 255
    else
        check "exec: echo prints its argument and exits 0" \
            test "$rc" = 0 -a "$out" = interop
        out=$(pyc --address "$ADDR" exec -n -- sh -c 'echo out; echo err >&2; exit 3' 2>"$T/py.err")
        rc=$?
        check "exec: stdout and stderr arrive separately, exit code 3 ($rc)" \
            eval 'test "$rc" = 3 -a "$out" = out && grep -qx err "$T/py.err"'
        head -c 1000000 /dev/urandom > "$T/blob"
        want=$(sha256sum < "$T/blob")
        got=$(pyc --address "$ADDR" exec -- sha256sum < "$T/blob" 2>/dev/null)
        check "exec: 1 MB of stdin streams through intact" test "$got" = "$want"
    fi
    stop_checked

    # Authorization: listed -> accepted; not listed -> UNAUTHENTICATED.
    start_server "$transport" "key_file = \"$CKEY\";" \
        "server = { authorized_keys = \"$TESTROOT/auth-both\"; };"
    expect_rc 0 "python client listed in authorized_keys is accepted" \
        quiet pyc --address "$ADDR" --key-file "$PYKEY" ping
    stop_checked

    start_server "$transport" "key_file = \"$CKEY\";" \
        "server = { authorized_keys = \"$TESTROOT/auth-c-only\"; };"
    pyc --address "$ADDR" --key-file "$PYKEY" ping >/dev/null 2>"$T/py.err"
    rc=$?
    check "python client missing from authorized_keys exits 255" test "$rc" = 255
    check "refusal is a Status with CODE_UNAUTHENTICATED" \
        grep -q "CODE_UNAUTHENTICATED: client key $PYPUB is not authorized" "$T/py.err"
    check "server logs the refusal" grep -q "refused client key $PYPUB" "$T/server.log"
    check "the C client (listed) is still served" quiet pl ping -q
    stop_checked
done
finish
