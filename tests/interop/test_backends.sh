# Interop between the AEAD backends and suite negotiation: the OpenSSL build
# ($PIPELINE_BIN by default) and the libsodium build ($PIPELINE_ALT_BIN) must
# put the same bytes on the wire for both suites, each as client and as
# server; the client's default suite falls back to ChaChaPoly only when a
# server refuses it.
. "${PIPELINE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

MAIN=$PIPELINE_BIN
ALT=${PIPELINE_ALT_BIN:-}
[ -x "$ALT" ] || { echo "$TEST_NAME: PIPELINE_ALT_BIN is not set" >&2; exit 1; }
# The backend a binary runs on, from its server's start-up log line.
backend() {
    local d
    d=$(mktemp -d "$TESTROOT/be.XXXXXX")
    echo "address = \"unix:$d/s.sock\";" > "$d/c"
    # Never holding our stdout (this runs inside $(...)), and KILLed if a
    # TERM is not enough: once seen, an ASan server stuck after TERM hung
    # the whole test here.
    timeout -k 2 5 "$1" -c "$d/c" listen --key-file "$d/k" >/dev/null 2>"$d/log" &
    local pid=$!
    for _ in $(seq 100); do grep -q "aead " "$d/log" && break; sleep 0.05; done
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    grep -o 'aead [a-z]*' "$d/log" | head -n 1 | cut -d' ' -f2
}

stop_checked() {
    stop_server
    check "server log is free of sanitizer reports" \
        eval '! grep -qE "Sanitizer|runtime error" "$T/server.log"'
}

TRANSPORT=
BMAIN=$(backend "$MAIN")
BALT=$(backend "$ALT")
check "the two binaries use different AEAD backends ($BMAIN / $BALT)" \
    test -n "$BMAIN" -a -n "$BALT" -a "$BMAIN" != "$BALT"

blob=$TESTROOT/blob
# Over 256 KiB, so the OpenSSL side moves from its libsodium start to EVP.
head -c 1000000 /dev/urandom > "$blob"
want=$(sha256sum < "$blob" | cut -d' ' -f1)

for pair in main:alt alt:main; do
    srv=${pair%%:*} cli=${pair##*:}
    [ "$srv" = main ] && SRV=$MAIN || SRV=$ALT
    [ "$cli" = main ] && CLI=$MAIN || CLI=$ALT
    PIPELINE_BIN=$SRV start_server unix
    [ "$srv" = main ] && TRANSPORT="$BMAIN server" || TRANSPORT="$BALT server"
    [ "$cli" = main ] && TRANSPORT+=", $BMAIN client" || TRANSPORT+=", $BALT client"
    c() { "$CLI" -c "$CONF" "$@"; }
    for cipher in aesgcm chachapoly; do
        name=$([ "$cipher" = aesgcm ] && echo AESGCM || echo ChaChaPoly)
        before=$(grep -c ", $name\$" "$T/server.log")
        check "$cipher: ping" c ping -q --cipher "$cipher"
        check "$cipher: server log shows the suite" \
            test "$(grep -c ", $name\$" "$T/server.log")" -gt "$before"
        rm -f "$T/up" "$T/down"
        check "$cipher: send-file of 1 MB" c send-file -q --cipher "$cipher" "$blob" "$T/up"
        check "$cipher: recv-file of 1 MB" c recv-file -q --cipher "$cipher" "$T/up" "$T/down"
        check "$cipher: both copies are intact" \
            test "$(sha256sum < "$T/up" | cut -d' ' -f1)" = "$want" -a \
                 "$(sha256sum < "$T/down" | cut -d' ' -f1)" = "$want"
        got=$(c run -i --cipher "$cipher" -- sha256sum < "$blob" | cut -d' ' -f1)
        check "$cipher: run streams 1 MB of stdin and the output back" test "$got" = "$want"
    done
    stop_checked
done

# Negotiation against the real server.
TRANSPORT=
start_server unix
last_suite() { grep "connected: client key" "$T/server.log" | tail -n 1; }
check "default suite is AESGCM" eval 'pl ping -q && last_suite | grep -q ", AESGCM$"'
echo 'cipher = "chachapoly";' >> "$CONF"
check "config key cipher picks ChaChaPoly" eval 'pl ping -q && last_suite | grep -q ", ChaChaPoly$"'
check "--cipher beats the config key" eval 'pl ping -q --cipher aesgcm && last_suite | grep -q ", AESGCM$"'
expect_err 2 'unknown cipher "rot13"' "--cipher with an unknown name is a usage error" pl ping -q --cipher rot13
sed -i 's/^cipher = .*/cipher = "des";/' "$CONF"
expect_err 2 'config cipher: unknown cipher "des"' "config cipher with an unknown name is a usage error" pl ping -q
sed -i '/^cipher = /d' "$CONF"
answer=$(/usr/bin/python3 - "${ADDR#unix:}" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(20); s.connect(sys.argv[1])
line = b"pipeline/1 Noise_XX_25519_AESGCM_SHA512"
s.sendall(len(line).to_bytes(2, "big") + line)
n = int.from_bytes(s.recv(2), "big"); print(s.recv(n).decode())
PY
)
check "an unknown suite gets the error line naming both suites ($answer)" \
    eval 'grep -q "^error: .*\"pipeline/1 Noise_XX_25519_ChaChaPoly_SHA256\" or \"pipeline/1 Noise_XX_25519_AESGCM_SHA256\"$" <<<"$answer"'

# A server that offers only ChaChaPoly (a stand-in proxy in front of ours).
P=$T/proxy.sock
/usr/bin/python3 "$PIPELINE_SRC/tests/interop/chacha_only_proxy.py" "$P" "${ADDR#unix:}" "$T/lines" &
PROXY_PID=$!
for _ in $(seq 100); do [ -S "$P" ] && break; sleep 0.05; done
pp() {
    local sub=$1
    shift
    "$PIPELINE_BIN" -c "$CONF" "$sub" --address "unix:$P" "$@"
}
: > "$T/lines"
check "default client falls back to ChaChaPoly and works" pp ping -q
check "...after asking for AESGCM first, once" \
    test "$(cat "$T/lines")" = "$(printf 'pipeline/1 Noise_XX_25519_AESGCM_SHA256\npipeline/1 Noise_XX_25519_ChaChaPoly_SHA256')"
: > "$T/lines"
rc=0
pp ping -q --cipher aesgcm 2>"$T/err" || rc=$?
check "--cipher aesgcm does not fall back: exit 255 ($rc)" test "$rc" = 255
check "...with the server's refusal in the message" \
    grep -q "server refused the connection: unsupported protocol" "$T/err"
check "...after one attempt" test "$(wc -l < "$T/lines")" = 1
check "a ChaChaPoly-only server serves --cipher chachapoly" pp ping -q --cipher chachapoly
kill "$PROXY_PID" 2>/dev/null
wait "$PROXY_PID" 2>/dev/null
stop_checked
finish
