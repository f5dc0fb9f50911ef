# Trust: ping, pinned server keys (flag and config), known_servers (first
# contact and mismatch) and the server's authorized-keys file (flag and
# config), over a unix socket and TCP loopback.
. "$(dirname "$0")/lib.sh"

# stop_checked: stops the server, then fails on any sanitizer report in its
# log (ASan/UBSan builds report at exit).
stop_checked() {
    stop_server
    check "server log is free of sanitizer reports" \
        eval '! grep -qE "Sanitizer|runtime error" "$T/server.log"'
}

# A key that belongs to no server here.
OTHERPUB=$("$PIPELINE_BIN" keygen | "$PIPELINE_BIN" pubkey)
# The client key the authorization checks use, made before any server.
CKEY="$TESTROOT/c-client.key"
"$PIPELINE_BIN" keygen "$CKEY" || { echo "keygen failed" >&2; exit 1; }
CPUB=$("$PIPELINE_BIN" pubkey --key-file "$CKEY")
STRANGER="$TESTROOT/stranger.key"
"$PIPELINE_BIN" keygen "$STRANGER"
STRANGERPUB=$("$PIPELINE_BIN" pubkey --key-file "$STRANGER")
# wait_log TEXT FILE: until FILE contains TEXT (5 s at most).
wait_log() {
    local i
    for i in $(seq 1 100); do
        grep -q "$1" "$2" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}
printf '# clients allowed here\n\n%s the test client\n' "$CPUB" > "$TESTROOT/authorized"

for transport in unix tcp; do
    start_server "$transport" "key_file = \"$CKEY\";"
    SERVER_PUB=$("$PIPELINE_BIN" pubkey --key-file "$T/server.key")

    # --- ping ---
    out=$(pl ping 2>&1)
    rc=$?
    check "ping exits 0" test "$rc" = 0
    # (keys hold '+', so the key is matched as a fixed string)
    check "ping prints address, version, server key and round trip" \
        eval 'grep -Eq "^pong from [^ ]+: pipeline [0-9]+\.[0-9]+\.[0-9]+, key [^ ]+, [0-9.]+ ms$" <<<"$out" &&
              grep -Fq "pong from $ADDR: " <<<"$out" && grep -Fq "key $SERVER_PUB, " <<<"$out"'

    # --- pinned key: flag ---
    out=$(pl ping --server-key "$OTHERPUB" 2>&1)
    rc=$?
    check "wrong --server-key exits 255 (got $rc)" test "$rc" = 255
    check "wrong --server-key: message gives expected and received key" \
        grep -q "server key mismatch for $ADDR: expected $OTHERPUB, received $SERVER_PUB" <<<"$out"
    # (the server logs once it sees the client hang up: wait for it)
    check "the server never learns the client key of a refused pin" \
        wait_log "handshake failed" "$T/server.log"
    expect_rc 0 "right --server-key" pl ping -q --server-key "$SERVER_PUB"
    out=$(pl ping --server-key "not-a-key" 2>&1)
    rc=$?
    check "malformed --server-key is refused (exit $rc) naming the flag" \
        eval 'test "$rc" != 0 && grep -q -- "--server-key" <<<"$out"'

    # --- pinned key: config server_key ---
    cp "$CONF" "$T/pinned.conf"
    echo "server_key = \"$OTHERPUB\";" >> "$T/pinned.conf"
    out=$("$PIPELINE_BIN" -c "$T/pinned.conf" ping 2>&1)
    rc=$?
    check "wrong config server_key exits 255 (got $rc)" test "$rc" = 255
    check "wrong config server_key: message gives expected and received key" \
        grep -q "expected $OTHERPUB, received $SERVER_PUB" <<<"$out"
    expect_rc 0 "--server-key flag overrides config server_key" \
        "$PIPELINE_BIN" -c "$T/pinned.conf" ping -q --server-key "$SERVER_PUB"

    # --- known_servers: first contact, then mismatch ---
    KS="$T/fresh/known"   # in a directory that does not exist yet
    out=$(pl ping --known-servers "$KS" 2>&1)
    rc=$?
    check "first contact succeeds" test "$rc" = 0
    check "first contact records ADDRESS KEY in known_servers" \
        grep -qx "$ADDR $SERVER_PUB" "$KS"
    check "first contact is reported on stderr" \
        grep -q "first contact with $ADDR: recorded its key $SERVER_PUB" <<<"$out"
    check "known_servers is created with mode 0600" test "$(stat -c %a "$KS")" = 600
    out=$(pl ping --known-servers "$KS" 2>&1)
    check "second contact is quiet and not recorded twice" \
        eval '! grep -q "first contact" <<<"$out" && test "$(grep -c "^$ADDR " "$KS")" = 1'

    printf '# other servers\ntcp:10.0.0.1:5000 %s\n%s %s\n' "$SERVER_PUB" "$ADDR" "$OTHERPUB" > "$T/known-bad"
    out=$(pl ping --known-servers "$T/known-bad" 2>&1)
    rc=$?
    check "known_servers mismatch exits 255 (got $rc)" test "$rc" = 255
    check "known_servers mismatch prints both keys" \
        eval 'grep -q "presented key $SERVER_PUB" <<<"$out" && grep -q "records $OTHERPUB" <<<"$out"'
    check "known_servers mismatch leaves the file unchanged" \
        test "$(grep -c . "$T/known-bad")" = 3
    cp "$CONF" "$T/known.conf"
    echo "known_servers = \"$T/known-bad\";" >> "$T/known.conf"
    expect_rc 255 "config known_servers mismatch" "$PIPELINE_BIN" -c "$T/known.conf" ping -q
    expect_rc 0 "a pinned key wins over known_servers" \
        "$PIPELINE_BIN" -c "$T/known.conf" ping -q --server-key "$SERVER_PUB"
    stop_checked

    # --- authorized keys: --authorized-keys flag ---
    # start_server's own readiness ping uses $CKEY, which is listed.
    TRANSPORT=$transport
    T=$(mktemp -d "$TESTROOT/auth-$transport.XXXXXX")
    case "$transport" in
    unix) ADDR="unix:$T/s.sock" ;;
    tcp) ADDR="tcp:127.0.0.1:$(free_tcp_port)" ;;
    esac
    CONF="$T/pipeline.conf"
    printf 'address = "%s";\nkey_file = "%s";\n' "$ADDR" "$CKEY" > "$CONF"
    "$PIPELINE_BIN" -c "$CONF" listen --key-file "$T/server.key" \
        --authorized-keys "$TESTROOT/authorized" 2>>"$T/server.log" &
    SERVER_PID=$!
    wait_server
    expect_rc 0 "listed client accepted (--authorized-keys)" pl ping -q
    out=$(pl ping --key-file "$STRANGER" 2>&1)
    rc=$?
    check "unlisted client refused with exit 255 (--authorized-keys; got $rc)" test "$rc" = 255
    check "refusal says the client key is not authorized" \
        grep -q "client key $STRANGERPUB is not authorized" <<<"$out"
    check "server logs the refused key" grep -q "refused client key $STRANGERPUB" "$T/server.log"
    # The refusal is reliable, not a race between the Status and the close.
    n=0
    for i in 1 2 3 4 5 6 7 8; do
        pl ping --key-file "$STRANGER" 2>&1 | grep -q "is not authorized" && n=$((n + 1))
    done
    check "8 of 8 refusals carry the reason ($n)" test "$n" = 8
    expect_rc 0 "listed client still served after refusals" pl ping -q
    stop_checked

    # --- authorized keys: config server.authorized_keys ---
    start_server "$transport" "key_file = \"$CKEY\";" \
        "server = { authorized_keys = \"$TESTROOT/authorized\"; };"
    expect_rc 0 "listed client accepted (config)" pl ping -q
    out=$(pl ping --key-file "$STRANGER" 2>&1)
    rc=$?
    check "unlisted client refused with exit 255 (config; got $rc)" test "$rc" = 255
    check "refusal (config) says not authorized" grep -q "is not authorized" <<<"$out"
    stop_checked

    # An authorized-keys file that cannot be read refuses everyone.
    start_server "$transport" "key_file = \"$CKEY\";"
    stop_checked
    # The log already has the previous server's "listening on" line: wait
    # for this one's.
    before=$(grep -c "listening on" "$T/server.log")
    "$PIPELINE_BIN" -c "$CONF" listen --key-file "$T/server.key" \
        --authorized-keys "$T/missing-file" 2>>"$T/server.log" &
    SERVER_PID=$!
    for _ in $(seq 1 200); do
        [ "$(grep -c "listening on" "$T/server.log")" -gt "$before" ] && break
        sleep 0.05
    done
    out=$(pl ping 2>&1)
    rc=$?
    check "unreadable authorized-keys file: client refused (exit $rc)" \
        eval 'test "$rc" != 0 && grep -q "cannot read its authorized keys file" <<<"$out"'
    check "server logs why it refused" grep -q "cannot read authorized keys file $T/missing-file" "$T/server.log"
    stop_checked
done
TRANSPORT=
finish
