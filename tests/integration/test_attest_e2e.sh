#!/usr/bin/env bash
# Attested enclaves end to end: the real server asks an NSM stand-in (a unix
# socket, tests/integration/nsm_standin.py) for attestation documents, and
# the real client verifies them before the handshake's last message.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
STANDIN="$PIPELINE_SRC/tests/integration/nsm_standin.py"
hex384() { printf '%s' "$1" | sha384sum | cut -d' ' -f1; }
PCR0=$(hex384 "pipeline test image")
PCR1=$(hex384 "pipeline test kernel")
PCR2=$(hex384 "pipeline test application")
ZERO=$(printf '0%.0s' $(seq 1 96))
NSM_PID=

cleanup_nsm() { [ -n "$NSM_PID" ] && kill "$NSM_PID" 2>/dev/null && wait "$NSM_PID" 2>/dev/null; NSM_PID=; }
trap 'cleanup_nsm; cleanup' EXIT

wait_for() { # wait_for SECONDS command...: polls until the command succeeds
    local limit=$(($1 * 20)) i
    shift
    for ((i = 0; i < limit; i++)); do
        "$@" && return 0
        sleep 0.05
    done
    return 1
}

# start_nsm MODE: a stand-in in $T writing $T/root.pem, counting answers.
start_nsm() {
    rm -f "$T/nsm.sock" "$T/root.pem"
    "$PY" "$STANDIN" --socket "$T/nsm.sock" --root-out "$T/root.pem" \
        --mode "$1" --count-file "$T/nsm.count" \
        --pcr "0=$PCR0" --pcr "1=$PCR1" --pcr "2=$PCR2" 2>>"$T/nsm.log" &
    NSM_PID=$!
    wait_for 30 test -S "$T/nsm.sock" -a -f "$T/root.pem" || {
        echo "NSM stand-in did not start" >&2
        cat "$T/nsm.log" >&2
        exit 1
    }
}

listening() { test "$(grep -c 'listening on' "$T/server.log" 2>/dev/null)" -gt "$1"; }
# start_listen [listen flags...]: the server with $CONF, up and listening.
start_listen() {
    local n
    n=$(grep -c 'listening on' "$T/server.log" 2>/dev/null)
    "$PIPELINE_BIN" -c "$CONF" listen "$@" 2>>"$T/server.log" &
    SERVER_PID=$!
    wait_for 30 listening "${n:-0}" || {
        echo "server did not come up" >&2
        cat "$T/server.log" >&2
        exit 1
    }
}
# server_conf [server group settings...]: $CONF for a server attested by
# $T/nsm.sock.
server_conf() {
    {
        echo "address = \"$ADDR\";"
        echo "server = { attestation_device = \"$T/nsm.sock\"; $* };"
    } >"$CONF"
}
start_attested() {
    server_conf "$@"
    start_listen
}

# A client that expects the stand-in's PCRs and trusts its root.
attested() {
    timeout 60 "$PIPELINE_BIN" -c "$CONF" "$1" --expect-pcr "0=$PCR0" \
        --expect-pcr "2=$PCR2" --attestation-root "$T/root.pem" "${@:2}"
}
server_key() { attested ping | sed -n 's/.*key \([^,]*\),.*/\1/p'; }

TRANSPORT=unix
T=$(mktemp -d "$TESTROOT/attest.XXXXXX")
ADDR="unix:$T/s.sock"
CONF="$T/pipeline.conf"
start_nsm normal
start_attested

# --- calls over an attested connection ---
out=$(attested run -- echo attested 2>"$T/err")
check "attested run prints the command's output" test "$out" = attested
head -c 300000 /dev/urandom >"$T/up.bin"
check "attested send-file" attested send-file -q "$T/up.bin" "$T/remote.bin"
check "the file arrived intact" cmp -s "$T/up.bin" "$T/remote.bin"
check "attested recv-file" attested recv-file -q "$T/remote.bin" "$T/down.bin"
check "the file came back intact" cmp -s "$T/up.bin" "$T/down.bin"
check "no known_servers entry for an attested server" test ! -e "$XDG_CONFIG_HOME/pipeline/known_servers"
check "the attested server wrote no key file" \
    test -z "$(find "$T" "$XDG_CONFIG_HOME" -name '*.key' ! -name client.key)"
check "server log says the key is in memory only" grep -q "key in memory only" "$T/server.log"
# Verified documents are remembered (signature and chain only) beside
# known_servers; every other check still runs on each connection.
CACHE="$XDG_CONFIG_HOME/pipeline/attestation_cache"
check "the verified document is cached (per-user directory), mode 0600" \
    test "$(stat -c %a "$CACHE" 2>/dev/null)" = 600
check "cache lines are 'SHA256(root) HASH(document) EXPIRY'" \
    grep -qE '^[0-9a-f]{64} [0-9a-f]{64,128} [0-9]+$' "$CACHE"
echo "garbage line" >>"$CACHE"
out=$(attested run -- echo cached 2>&1)
check "a damaged cache line is ignored" test "$out" = cached
mkdir -p "$T/nocache"
printf 'address = "%s";\nattestation = { cache = ""; };\n' "$ADDR" >"$T/nocache/c.conf"
out=$(XDG_CONFIG_HOME="$T/nocache" timeout 60 "$PIPELINE_BIN" -c "$T/nocache/c.conf" run \
    --expect-pcr "0=$PCR0" --attestation-root "$T/root.pem" -- echo uncached 2>&1)
check "attestation.cache = \"\" verifies without a cache" test "$out" = uncached
check "and writes none" test ! -e "$T/nocache/pipeline/attestation_cache"

# --- verification failures: exit 255, one line, expected and actual ---
# (the document is in the cache by now: the policy checks still run)
seen_before=$(grep -c 'connected: client key' "$T/server.log")
WRONG=$(hex384 "some other image")
expect_err 255 "$WRONG" "a wrong PCR0 is refused" \
    timeout 60 "$PIPELINE_BIN" -c "$CONF" run --expect-pcr "0=$WRONG" \
    --attestation-root "$T/root.pem" -- true
check "the refusal also shows the actual PCR0" grep -qi "$PCR0" "$T/stderr"
expect_err 255 "PCR" "a wrong PCR1 is refused by send-file too" \
    timeout 60 "$PIPELINE_BIN" -c "$CONF" send-file --expect-pcr "1=$WRONG" \
    --attestation-root "$T/root.pem" "$T/up.bin" "$T/never.bin"
check "nothing was written by the refused send-file" test ! -e "$T/never.bin"
expect_rc 255 "the AWS root (default) does not accept the test chain" \
    timeout 60 "$PIPELINE_BIN" -c "$CONF" run --expect-pcr "0=$PCR0" -- true
check "refused clients never completed a handshake (server never saw their key)" \
    test "$(grep -c 'connected: client key' "$T/server.log")" = "$seen_before"
expect_rc 2 "a malformed --expect-pcr is a usage error" \
    "$PIPELINE_BIN" -c "$CONF" run --expect-pcr "0=abc" -- true
expect_rc 2 "an unreadable --attestation-root is a usage error" \
    "$PIPELINE_BIN" -c "$CONF" run --expect-pcr "0=$PCR0" --attestation-root "$T/nope.pem" -- true

# --- the attestation config group works like the flags ---
cat >"$T/client.conf" <<EOF
address = "$ADDR";
attestation = {
    pcr0 = "$PCR0";
    pcr1 = "$PCR1";
    root = "$T/root.pem";
    max_age = 600;
};
EOF
out=$(timeout 60 "$PIPELINE_BIN" -c "$T/client.conf" run -- echo from-config 2>&1)
check "attestation from the config group" test "$out" = from-config
sed "s/pcr1 = \"$PCR1\"/pcr1 = \"$WRONG\"/" "$T/client.conf" >"$T/client-wrong.conf"
expect_err 255 "$WRONG" "a wrong PCR in the config group is refused" \
    timeout 60 "$PIPELINE_BIN" -c "$T/client-wrong.conf" run -- true
check "an attested client with a config group records no key either" test ! -e "$XDG_CONFIG_HOME/pipeline/known_servers"

# --- restart: a new in-memory key changes nothing for attested clients ---
key1=$(server_key)
stop_server
start_attested
key2=$(server_key)
check "the restarted server has a new key" test -n "$key1" -a -n "$key2" -a "$key1" != "$key2"
out=$(attested run -- echo again 2>"$T/err")
check "attested run after a restart works" test "$out" = again
check "and prints no warning" test ! -s "$T/err"
out=$(timeout 60 "$PIPELINE_BIN" -c "$T/client.conf" run -- echo again 2>&1)
check "the config-group client works after the restart too" test "$out" = again

# --- pipeline attest against the live server ---
out=$(attested attest 2>&1)
check "attest prints PCR0" grep -qi "$PCR0" <<<"$out"
check "attest prints PCR2" grep -qi "$PCR2" <<<"$out"
check "attest prints the server key" grep -qF "$key2" <<<"$out"
attested attest --json >"$T/attest.json" 2>"$T/err"
check "attest --json: valid, PCR0 and PCR2, the server key" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
ok = (d["valid"] is True and d["pcrs"]["0"] == sys.argv[2]
      and d["pcrs"]["2"] == sys.argv[3] and d["public_key"] == sys.argv[4])
sys.exit(0 if ok else 1)' "$T/attest.json" "$PCR0" "$PCR2" "$key2"
check "attest --json writes nothing to stderr" test ! -s "$T/err"
expect_rc 255 "attest with a wrong PCR exits 255" \
    timeout 60 "$PIPELINE_BIN" -c "$CONF" attest --expect-pcr "0=$WRONG" --attestation-root "$T/root.pem"

# --- freshness: the document is refreshed in the background ---
stop_server
start_attested "attestation_refresh = 1;"
doc_time() { attested attest --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["timestamp_ms"])'; }
t1=$(doc_time)
n0=$(cat "$T/nsm.count")
check "the server refreshes its document on its own" \
    wait_for 30 sh -c "test \$(cat '$T/nsm.count') -ge $((n0 + 2))"
t2=$(doc_time)
check "clients get the refreshed document ($t1 -> $t2)" test -n "$t1" -a "${t2:-0}" -gt "${t1:-0}"
stop_server
start_attested
sleep 2.2 # the document is now at least 2 s old (the condition under test)
expect_err 255 "attestation" "a document older than --attestation-max-age is refused" \
    attested run --attestation-max-age 1 -- true
cleanup_nsm

# --- a document from an untrusted root ---
stop_server
start_nsm untrusted
# The stand-in published a root that signed nothing: our client must not
# even get far enough to see the server.
start_attested
expect_err 255 "attestation" "a document from an untrusted root is refused" \
    attested run -- true
stop_server
cleanup_nsm

# --- a debug-mode enclave (PCR0..2 zero) ---
start_nsm debug
start_attested
expect_rc 255 "a debug enclave is refused without --allow-debug" \
    timeout 60 "$PIPELINE_BIN" -c "$CONF" run --expect-pcr "0=$ZERO" --attestation-root "$T/root.pem" -- true
out=$(timeout 60 "$PIPELINE_BIN" -c "$CONF" run --allow-debug --expect-pcr "0=$ZERO" \
    --attestation-root "$T/root.pem" -- echo debug 2>&1)
check "a debug enclave is accepted with --allow-debug" test "$out" = debug
stop_server
cleanup_nsm

# --- the server side refuses to start half-attested ---
start_nsm error
server_conf
expect_err 1 "InternalError" "the server does not start when the NSM refuses" \
    timeout 30 "$PIPELINE_BIN" -c "$CONF" listen
cleanup_nsm
expect_err 1 "$T/nsm.sock" "the server does not start when the configured device is missing" \
    timeout 30 "$PIPELINE_BIN" -c "$CONF" listen
start_nsm normal
expect_err 2 "key file" "an attested server refuses a key file" \
    timeout 30 "$PIPELINE_BIN" -c "$CONF" listen --key-file "$T/server.key"
check "and wrote none" test ! -e "$T/server.key"

# --- TOFU is unchanged for servers that do not attest ---
rm -f "$XDG_CONFIG_HOME/pipeline/known_servers"
server_conf "attestation = false;"
start_listen --key-file "$T/server.key"
timeout 30 "$PIPELINE_BIN" -c "$CONF" ping -q >/dev/null 2>&1
check "an unattested server's key is recorded on first contact" grep -q "$ADDR" "$XDG_CONFIG_HOME/pipeline/known_servers"
check "the unattested server uses its key file" test -s "$T/server.key"
expect_err 255 "no attestation document" "expecting PCRs from an unattested server fails" \
    attested run -- true
stop_server
# And with no device at all (the default /dev/nsm does not exist here).
if [ ! -e /dev/nsm ]; then
    echo "address = \"$ADDR\";" >"$CONF"
    rm -f "$XDG_CONFIG_HOME/pipeline/known_servers" "$T/server.key"
    start_listen --key-file "$T/server.key"
    timeout 30 "$PIPELINE_BIN" -c "$CONF" ping -q >/dev/null 2>&1
    check "without a device, first contact records the key" grep -q "$ADDR" "$XDG_CONFIG_HOME/pipeline/known_servers"
    stop_server
    start_listen --key-file "$T/other.key"
    expect_err 255 "key" "without a device, a changed key is still an error" \
        timeout 30 "$PIPELINE_BIN" -c "$CONF" run -- true
    stop_server
fi
cleanup_nsm
finish
