# The command line: global options, exit codes, configuration (including the
# original's flat files), keys, listen on every transport, quick failures.
. "$(dirname "$0")/lib.sh"

D="$TESTROOT/cli"
mkdir -p "$D"
EMPTY="$D/empty.conf"
: > "$EMPTY"
P() { "$PIPELINE_BIN" -c "$EMPTY" "$@"; }
quiet() { "$@" >/dev/null 2>&1; }
# wait_log TEXT FILE: until FILE contains TEXT (5 s at most).
wait_log() {
    local i
    for i in $(seq 1 100); do
        grep -q "$1" "$2" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}
# A vsock port unlikely to be taken by a concurrent test.
vsock_port() { echo $((20000 + RANDOM % 30000)); }
# elapsed_ms COMMAND...: runs it, prints the milliseconds it took.
elapsed_ms() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
}

# --- global options ---
for o in -h --help; do
    out=$("$PIPELINE_BIN" $o)
    rc=$?
    check "$o exits 0 and lists the subcommands" \
        eval 'test $rc = 0 && grep -q "^  listen " <<<"$out" && grep -q "^  ping " <<<"$out"'
done
for o in -V --version; do
    out=$("$PIPELINE_BIN" $o)
    rc=$?
    check "$o exits 0 and prints the version" \
        eval 'test $rc = 0 && grep -Eqx "pipeline [0-9]+\.[0-9]+\.[0-9]+" <<<"$out"'
done
for o in -g --george; do
    out=$("$PIPELINE_BIN" $o)
    rc=$?
    check "$o exits 0 and shows George" eval 'test $rc = 0 && grep -q George <<<"$out"'
done
for o in -p --pascal; do
    out=$("$PIPELINE_BIN" $o)
    rc=$?
    check "$o exits 0 and shows Pascal" eval 'test $rc = 0 && grep -q Pascal <<<"$out"'
done
out=$("$PIPELINE_BIN" frobnicate 2>&1)
rc=$?
check "unknown subcommand exits 2 (got $rc) naming it" \
    eval 'test $rc = 2 && grep -q "unknown subcommand \"frobnicate\"" <<<"$out"'
expect_rc 2 "no subcommand" quiet "$PIPELINE_BIN"
expect_rc 2 "unknown global option" quiet "$PIPELINE_BIN" --frobnicate
expect_rc 2 "unknown subcommand option" quiet P ping --frobnicate
expect_rc 0 "ping --help" quiet P ping --help
expect_rc 0 "listen --help" quiet P listen --help

# --- missing address ---
out=$(P ping 2>&1)
rc=$?
check "ping without an address exits 2 (got $rc)" test "$rc" = 2
check "the message names --address, --cid, --port and the config keys" \
    eval 'grep -q -- "--address" <<<"$out" && grep -q -- "--cid" <<<"$out" &&
          grep -q -- "--port" <<<"$out" && grep -q "config keys: address, or cid and port" <<<"$out"'
out=$(P ping --cid 3 2>&1)
rc=$?
check "ping --cid without a port exits 2 naming --port and config key port" \
    eval 'test $rc = 2 && grep -q -- "--port (config key: port)" <<<"$out"'
out=$(P ping --address bogus:1 2>&1)
rc=$?
check "a malformed address exits 2 and shows the forms" \
    eval 'test $rc = 2 && grep -q "expected vsock:CID:PORT, tcp:HOST:PORT or unix:PATH" <<<"$out"'
out=$(P listen 2>&1)
rc=$?
check "listen without an address exits 2 naming --port/--address and config keys" \
    eval 'test $rc = 2 && grep -q -- "--port PORT or --address ADDR (config keys: port, address)" <<<"$out"'

# --- configuration files ---
printf '# a comment\nport = 5000;\ncid = ;\n' > "$D/syntax.conf"
out=$("$PIPELINE_BIN" -c "$D/syntax.conf" ping 2>&1)
rc=$?
check "config syntax error exits 2 (got $rc) naming file and line" \
    eval 'test $rc = 2 && grep -q "$D/syntax.conf:3: syntax error" <<<"$out"'
printf '\n\nport = "five";\n' > "$D/type.conf"
out=$("$PIPELINE_BIN" -c "$D/type.conf" ping 2>&1)
check "config type error names file, line and key" \
    grep -q "$D/type.conf:3: port must be a whole number" <<<"$out"
out=$("$PIPELINE_BIN" -c "$D/no-such.conf" ping 2>&1)
rc=$?
check "a missing --config file is an error naming it" \
    eval 'test $rc != 0 && grep -q "$D/no-such.conf" <<<"$out"'
printf 'server = { idle_timeout = 4000000; };\n' > "$D/big.conf"
out=$("$PIPELINE_BIN" -c "$D/big.conf" ping 2>&1)
rc=$?
check "an out-of-range timeout is refused, not wrapped (exit $rc)" \
    eval 'test $rc = 2 && grep -q "idle_timeout is too large" <<<"$out"'

# The original's flat file: '#' comments, cid and port without semicolons.
VP=$(vsock_port)
printf '# enclave\ncid = 3\nport = %s\n' "$VP" > "$D/flat.conf"
"$PIPELINE_BIN" -c "$D/flat.conf" listen --key-file "$D/flat-server.key" 2>"$D/flat.log" &
pid=$!
sleep 0.5
check "listen with the original's flat config stays up" kill -0 $pid
check "... and listens on vsock port $VP from any CID" \
    wait_log "listening on vsock:any:$VP," "$D/flat.log"
kill $pid 2>/dev/null
wait $pid 2>/dev/null
out=$("$PIPELINE_BIN" -c "$D/flat.conf" ping --connect-timeout 2 2>&1)
rc=$?
check "a client with the flat config dials vsock:3:$VP (exit $rc, no peer here)" \
    eval 'test $rc = 255 && grep -q "vsock:3:$VP" <<<"$out"'

# --- listen on vsock ---
VP=$(vsock_port)
"$PIPELINE_BIN" -c "$EMPTY" listen --address "vsock:4294967295:$VP" --key-file "$D/v.key" 2>"$D/v1.log" &
pid=$!
sleep 0.5
check "listen --address vsock:4294967295:$VP stays up" kill -0 $pid
check "... and says it is listening on vsock:any:$VP" wait_log "listening on vsock:any:$VP," "$D/v1.log"
kill $pid 2>/dev/null
wait $pid
rc=$?
check "SIGTERM stops the server cleanly (exit $rc)" test "$rc" = 0
VP=$(vsock_port)
"$PIPELINE_BIN" -c "$EMPTY" listen --port "$VP" --key-file "$D/v.key" 2>"$D/v2.log" &
pid=$!
sleep 0.5
check "listen --port $VP stays up" kill -0 $pid
check "... on vsock, any CID" wait_log "listening on vsock:any:$VP," "$D/v2.log"
kill $pid 2>/dev/null
wait $pid 2>/dev/null

# --- keys ---
K=$(P keygen)
check "keygen prints a 44-character base64 key" eval '[[ "$K" =~ ^[A-Za-z0-9+/]{43}=$ ]]'
check "two keygens differ" test "$K" != "$(P keygen)"
PUB=$(echo "$K" | P pubkey)
check "pubkey of a key from stdin is 44 characters of base64" eval '[[ "$PUB" =~ ^[A-Za-z0-9+/]{43}=$ ]]'
check "pubkey differs from the private key" test "$PUB" != "$K"
umask 022
P keygen "$D/k1.key"
check "keygen FILE creates it with mode 0600 despite umask 022" test "$(stat -c %a "$D/k1.key")" = 600
expect_rc 1 "keygen FILE never overwrites" quiet P keygen "$D/k1.key"
check "pubkey --key-file agrees with pubkey on stdin" \
    test "$(P pubkey --key-file "$D/k1.key")" = "$(P pubkey < "$D/k1.key")"
out=$(echo "not a key" | P pubkey 2>&1)
rc=$?
check "pubkey refuses garbage on stdin (exit $rc)" eval 'test $rc != 0 && grep -q "is not a key" <<<"$out"'

# The server's key, as printed by `pubkey`, is the one it announces.
echo "$K" > "$D/server-from-keygen.key"
chmod 600 "$D/server-from-keygen.key"
"$PIPELINE_BIN" -c "$EMPTY" listen --address "unix:$D/k.sock" --key-file "$D/server-from-keygen.key" 2>"$D/k.log" &
pid=$!
wait_log "listening on" "$D/k.log"
check "echo KEY | pipeline pubkey matches the server log's key" \
    grep -Fq "server key $PUB" "$D/k.log"
kill $pid 2>/dev/null
wait $pid 2>/dev/null
check "the server removes its unix socket on exit" test ! -e "$D/k.sock"

# Keys generated on first use in the per-user directory, mode 0600.
mkdir -p "$D/home"
printf 'address = "unix:%s/home/s.sock";\n' "$D" > "$D/home/pipeline.conf"
U="$XDG_CONFIG_HOME/pipeline"
"$PIPELINE_BIN" -c "$D/home/pipeline.conf" listen 2>"$D/home/server.log" &
pid=$!
wait_log "listening on" "$D/home/server.log"
expect_rc 0 "ping with keys created on first use" quiet "$PIPELINE_BIN" -c "$D/home/pipeline.conf" ping
check "server.key created in the per-user directory with mode 0600" test "$(stat -c %a "$U/server.key")" = 600
check "client.key created in the per-user directory with mode 0600" test "$(stat -c %a "$U/client.key")" = 600
check "known_servers created in the per-user directory" test -s "$U/known_servers"
check "nothing is created beside the config file" \
    eval 'test ! -e "$D/home/client.key" && test ! -e "$D/home/server.key" && test ! -e "$D/home/known_servers"'
kill $pid 2>/dev/null
wait $pid 2>/dev/null
chmod 644 "$U/client.key"
out=$("$PIPELINE_BIN" -c "$D/home/pipeline.conf" ping 2>&1)
check "a key file readable by others is refused with a fix" \
    grep -q "readable by others (mode 644); run chmod 600" <<<"$out"
chmod 600 "$U/client.key"

# --- listen policy: non-loopback TCP needs authorized keys ---
PORT=$(free_tcp_port)
out=$(P listen --address "tcp:0.0.0.0:$PORT" --key-file "$D/v.key" 2>&1)
rc=$?
check "listen on tcp:0.0.0.0 without authorized keys is refused (exit $rc)" test "$rc" != 0
check "... with a message naming the address and the setting" \
    eval 'grep -q "refusing to listen on tcp:0.0.0.0:$PORT without an authorized keys file" <<<"$out" &&
          grep -q "server.authorized_keys" <<<"$out"'
: > "$D/authorized"
"$PIPELINE_BIN" -c "$EMPTY" listen --address "tcp:0.0.0.0:$PORT" --key-file "$D/v.key" --authorized-keys "$D/authorized" 2>"$D/any.log" &
pid=$!
check "listen on tcp:0.0.0.0 with an authorized-keys file starts" wait_log "listening on tcp:0.0.0.0:$PORT" "$D/any.log"
kill $pid 2>/dev/null
wait $pid 2>/dev/null

# --- quick, clear failures ---
ms=$(elapsed_ms P ping --address "unix:$D/nobody-here.sock")
out=$(P ping --address "unix:$D/nobody-here.sock" 2>&1)
rc=$?
check "dead unix address: exit 255 in ${ms} ms naming it" \
    eval 'test $rc = 255 && test $ms -lt 6000 && grep -q "cannot connect to unix:$D/nobody-here.sock" <<<"$out"'
PORT=$(free_tcp_port)
ms=$(elapsed_ms P ping --address "tcp:127.0.0.1:$PORT")
out=$(P ping --address "tcp:127.0.0.1:$PORT" 2>&1)
rc=$?
check "dead tcp address: exit 255 in ${ms} ms naming it" \
    eval 'test $rc = 255 && test $ms -lt 6000 && grep -q "cannot connect to tcp:127.0.0.1:$PORT" <<<"$out"'
# A peer that accepts and never speaks: the handshake gives up.
PORT=$(free_tcp_port)
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
print("ready", flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' "$PORT" > "$D/mute.out" &
mute=$!
wait_log ready "$D/mute.out"
ms=$(elapsed_ms P ping --address "tcp:127.0.0.1:$PORT" --connect-timeout 1)
out=$(P ping --address "tcp:127.0.0.1:$PORT" --connect-timeout 1 2>&1)
rc=$?
check "a silent server: exit 255 in ${ms} ms (< 6000) saying no handshake" \
    eval 'test $rc = 255 && test $ms -lt 6000 && grep -q "no pipeline handshake" <<<"$out"'
kill $mute 2>/dev/null
wait $mute 2>/dev/null
check "no server log has a sanitizer report" \
    eval '! grep -lE "Sanitizer|runtime error" "$D"/*.log "$D"/home/*.log'
finish
