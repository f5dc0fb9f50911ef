#!/bin/bash
# Memcheck over the real binaries: a server and clients under valgrind run
# every call once (ping, exec with stdin, send/recv of a file and of a
# directory, a refused call) and must report no errors and no leaks.
# Registered only in the non-sanitizer build (valgrind cannot run ASan code).
. "$(dirname "$0")/../integration/lib.sh"

VG=(valgrind --quiet --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
    --track-fds=no)
vpl() { timeout 120 "${VG[@]}" --log-file="$T/vg-client.%p" "$PIPELINE_BIN" -c "$CONF" "$@"; }

TRANSPORT=unix
T=$(mktemp -d "$TESTROOT/vg.XXXXXX")
ADDR="unix:$T/s.sock"
CONF=$T/pipeline.conf
echo "address = \"$ADDR\";" > "$CONF"
"${VG[@]}" --log-file="$T/vg-server" "$PIPELINE_BIN" -c "$CONF" listen \
    --key-file "$T/server.key" 2>>"$T/server.log" &
SERVER_PID=$!
for _ in $(seq 1 200); do
    "$PIPELINE_BIN" -c "$CONF" ping -q >/dev/null 2>&1 && break
    sleep 0.1
done

check "ping under valgrind" eval 'vpl ping -q >/dev/null'
out=$(printf 'abc\n' | vpl run -i -- sh -c 'cat; echo err >&2; exit 3' 2>/dev/null)
rc=$?
check "exec under valgrind: output and exit code" test "$out" = abc -a "$rc" = 3
head -c 300000 /dev/urandom > "$T/f"
mkdir -p "$T/d/sub" && echo x > "$T/d/sub/a" && ln -s a "$T/d/sub/l"
check "send-file under valgrind" vpl send-file -q --checksum "$T/f" "$T/r/f"
check "recv-file under valgrind" vpl recv-file -q "$T/r/f" "$T/back"
check "file round trip" cmp "$T/f" "$T/back"
check "send-dir under valgrind" vpl send-dir -q "$T/d" "$T/rd"
check "recv-dir under valgrind" vpl recv-dir -q "$T/rd" "$T/back-d"
check "directory round trip" diff -r "$T/d" "$T/back-d"
expect_rc 1 "a refused call under valgrind" vpl recv-file -q /nonexistent "$T/none"
VEC="$PIPELINE_SRC/tests/vectors/nitro/debug-enclave-2024-09-17.b64"
check "attestation document verified under valgrind" eval \
    'vpl attest --document "$VEC" --at 1726534080 >/dev/null'
expect_rc 1 "attestation document refused under valgrind" vpl attest --document "$VEC"

kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
src=$?
SERVER_PID=
check "server exits cleanly under valgrind (exit $src)" test "$src" = 0

# An attested server (NSM stand-in) and verifying clients: the NSM client,
# the refresh thread, the verifier and its cache.
PCR0=$(printf 'valgrind image' | sha384sum | cut -d' ' -f1)
/usr/bin/python3 "$PIPELINE_SRC/tests/integration/nsm_standin.py" --socket "$T/nsm.sock" \
    --root-out "$T/root.pem" --pcr "0=$PCR0" 2>>"$T/nsm.log" &
NSM_PID=$!
trap 'kill "$NSM_PID" 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 200); do [ -S "$T/nsm.sock" ] && [ -f "$T/root.pem" ] && break; sleep 0.1; done
ADDR="unix:$T/a.sock"
CONF=$T/attested.conf
# Verification runs inside the handshake: under valgrind on a loaded
# machine it needs more than the default handshake and connect timeouts.
printf 'address = "%s";\nconnect_timeout = 120;\nserver = { attestation_device = "%s/nsm.sock"; handshake_timeout = 120; };\n' \
    "$ADDR" "$T" >"$CONF"
"${VG[@]}" --log-file="$T/vg-attested-server" "$PIPELINE_BIN" -c "$CONF" listen 2>>"$T/server.log" &
SERVER_PID=$!
for _ in $(seq 1 300); do
    "$PIPELINE_BIN" -c "$CONF" ping -q >/dev/null 2>&1 && break
    sleep 0.1
done
rm -f "$XDG_CONFIG_HOME/pipeline/attestation_cache"
out=$(vpl run --expect-pcr "0=$PCR0" --attestation-root "$T/root.pem" -- echo attested 2>"$T/err")
if [ "$out" = attested ]; then ok "attested run under valgrind (full verification)"
else fail "attested run under valgrind (full verification): $(head -c 400 "$T/err")"; fi
out=$(vpl run --expect-pcr "0=$PCR0" --attestation-root "$T/root.pem" -- echo cached 2>"$T/err")
if [ "$out" = cached ]; then ok "attested run under valgrind (cached chain)"
else fail "attested run under valgrind (cached chain): $(head -c 400 "$T/err")"; fi
check "attest --json under valgrind" eval 'vpl attest --json --attestation-root "$T/root.pem" | grep -q "$PCR0"'
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
src=$?
SERVER_PID=
kill "$NSM_PID" 2>/dev/null
wait "$NSM_PID" 2>/dev/null
check "attested server exits cleanly under valgrind (exit $src)" test "$src" = 0
# Errors and leaks are "==PID==" lines; "--PID--" lines are valgrind's own
# notes (it does not know openat2 and pidfd_open, so our fallbacks run).
for f in "$T"/vg-*; do
    if grep -q '^==' "$f"; then
        fail "valgrind report in $(basename "$f"):"
        head -n 40 "$f" >&2
    else
        ok "no valgrind report in $(basename "$f")"
    fi
done
finish
