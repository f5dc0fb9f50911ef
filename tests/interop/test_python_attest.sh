# Interop: the Python attestation verifier (clients/python/pipeline_client/
# attestation.py, cbor2 + cryptography only) against the C one (`pipeline
# attest --document`): the real AWS document and the same mutations and
# forged documents must get the same verdict and the same one-line reason.
. "${PIPELINE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

PY=/usr/bin/python3
if ! $PY -c 'import cbor2, cryptography' 2>/dev/null; then
    echo "$TEST_NAME: /usr/bin/python3 cannot import cbor2/cryptography" \
         "(apt-get install python3-cbor2 python3-cryptography)" >&2
    exit 1
fi
T=$TESTROOT
cd "$T" || exit 1
VEC="$PIPELINE_SRC/tests/vectors/nitro/debug-enclave-2024-09-17.b64"
FORGE="$PY $PIPELINE_SRC/tests/integration/attest_forge.py"
PYV="$PIPELINE_SRC/clients/python/pipeline_client/attestation.py"
AT=1726534080
ZERO=$(printf '0%.0s' $(seq 96))
PCR3=671ca1e328f75015b2aeee60639cc5252bc835d8bb690444d1f8e2bf4260f73dc1b71e07a14a770c7d0becac6eb3b53f
WRONG=$(printf 'ab%.0s' $(seq 48))

# case WANT_RC "description" FILE ARGS...: both verifiers must exit WANT_RC
# with the same reason (C prints "pipeline attest: FILE: why", Python
# "FILE: why") and, when valid, print the same fields. C runs once per case;
# Python runs every case in one process (its start-up dominates otherwise).
NCASES=0
: >"$T/cases"
case_() {
    NCASES=$((NCASES + 1))
    printf '%s\t' "$NCASES" "$@" | sed 's/\t$//' >>"$T/cases"
    echo >>"$T/cases"
}
run_cases() {
    $PY - "$PYV" "$T/cases" "$T" <<'PYEOF'
import contextlib, importlib.util, sys
spec = importlib.util.spec_from_file_location("attestation", sys.argv[1])
a = importlib.util.module_from_spec(spec); spec.loader.exec_module(a)
for line in open(sys.argv[2]):
    n, want, what, doc, *args = line.rstrip("\n").split("\t")
    with open("%s/p%s.out" % (sys.argv[3], n), "w") as out, \
            open("%s/p%s.err" % (sys.argv[3], n), "w") as err, \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = a.main(["--document", doc] + args)
        except SystemExit as e:
            rc = e.code
    open("%s/p%s.rc" % (sys.argv[3], n), "w").write("%s\n" % rc)
PYEOF
    local n want what doc args crc prc cwhy pwhy
    while IFS=$'\t' read -r n want what doc args; do
        read -r -a argv <<<"$args"
        crc=0
        timeout 60 "$PIPELINE_BIN" attest --document "$doc" "${argv[@]}" \
            >"$T/c.out" 2>"$T/c.err" || crc=$?
        prc=$(cat "$T/p$n.rc")
        cwhy=$(sed 's/^pipeline attest: //' "$T/c.err")
        pwhy=$(cat "$T/p$n.err")
        if [ "$crc" != "$want" ] || [ "$prc" != "$want" ]; then
            fail "$what: C exit $crc, Python exit $prc, want $want; C: $cwhy; Python: $pwhy"
        elif [ "$cwhy" != "$pwhy" ]; then
            fail "$what: reasons differ: C: $cwhy; Python: $pwhy"
        elif [ "$want" = 0 ] && ! cmp -s "$T/c.out" "$T/p$n.out"; then
            fail "$what: printed fields differ: $(diff "$T/c.out" "$T/p$n.out" | head -5)"
        else
            ok "$what (exit $want${cwhy:+: ${cwhy#*: attestation: }})"
        fi
    done <"$T/cases"
}

F="$T/forged"
mkdir -p "$F"
$FORGE batch "$VEC" "$F"
case_ 0 "real document at its own time" "$VEC" --at $AT
case_ 1 "real document today (expired)" "$VEC" --at "$(date +%s)"
case_ 1 "debug enclave with PCRs expected" "$VEC" --at $AT --expect-pcr 0=$ZERO
case_ 0 "debug enclave allowed" "$VEC" --at $AT --expect-pcr 0=$ZERO --expect-pcr 3=$PCR3 --allow-debug
case_ 1 "wrong expected PCR" "$VEC" --at $AT --expect-pcr 3=$WRONG --allow-debug
case_ 1 "PCR the document lacks" "$VEC" --at $AT --expect-pcr 20=$WRONG
case_ 1 "older than max age" "$VEC" --at $((AT + 600)) --attestation-max-age 60
case_ 1 "from the future" "$VEC" --at $((AT - 3600))
case_ 1 "flipped signature byte" "$F/flip-signature" --at $AT
case_ 1 "flipped PCR byte" "$F/flip-pcr" --at $AT
case_ 1 "truncated document" "$F/truncate" --at $AT
case_ 0 "raw CBOR" "$F/raw" --at $AT
head -c 100 "$F/raw" >"$T/short"
case_ 1 "first 100 bytes" "$T/short" --at $AT
printf '\xd2\xd2\x80' >"$T/tags"
case_ 1 "two tags" "$T/tags" --at $AT
printf '\xc7\x80' >"$T/tag7"
case_ 1 "tag 7" "$T/tag7" --at $AT
printf '\x9f\x40\xff' >"$T/indef"
case_ 1 "indefinite array" "$T/indef" --at $AT
printf '\x9a\xff\xff\xff\xff' >"$T/huge"
case_ 1 "array claiming 2^32 items" "$T/huge" --at $AT
case_ 1 "certificate from another root" "$F/other-root" --at $AT
case_ 0 "its own root trusted" "$F/other-root" --at $AT --attestation-root "$F/other-root.pem"
case_ 1 "AWS document under another root" "$VEC" --at $AT --attestation-root "$F/other-root.pem"
for c in dup-digest extra-field alg-7 tagged pcr32 bundle9 unprotected indefinite \
    null-key module-id-control pcr-index-40 no-cabundle timestamp-text; do
    want=1
    case $c in tagged | null-key) want=0 ;; esac
    case_ $want "forged: $c" "$F/$c" --at $AT --attestation-root "$F/$c.pem"
done
run_cases
check "every case ran" test "$NCASES" -ge 33

# The module's API: key binding and its error, as a client would call it.
check "Python API: key binding and expectations" $PY - "$PYV" "$F/other-root" "$F/other-root.pem" <<'PYEOF'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("attestation", sys.argv[1])
a = importlib.util.module_from_spec(spec); spec.loader.exec_module(a)
doc = open(sys.argv[2], "rb").read()
root = a.load_root(sys.argv[3])
e = a.Expectations(root_der=root, now_s=1726534080)
info = a.verify(doc, e)
assert info.module_id.startswith("i-0bbf") and info.public_key == b"dummy"
try:
    a.verify(doc, e, server_key=bytes(32))
    raise SystemExit("accepted a document bound to another key")
except a.AttestationError as err:
    assert "public key: expected the server's key AAAA" in str(err), err
    assert "document binds ZHVtbXk= (5 bytes)" in str(err), err
i, v = a.parse_pcr("3=" + "ab" * 48)
assert i == 3 and v == bytes([0xab]) * 48
for bad in ("", "32=" + "00" * 48, "3=abc", "x=" + "00" * 48):
    try:
        a.parse_pcr(bad)
        raise SystemExit("parse_pcr accepted %r" % bad)
    except ValueError:
        pass
PYEOF
# The Python client's connect() verifies a live attested server (the real C
# server with the NSM stand-in) before its last handshake message.
STANDIN="$PIPELINE_SRC/tests/integration/nsm_standin.py"
LPCR0=$(printf 'python image' | sha384sum | cut -d' ' -f1)
$PY "$STANDIN" --socket "$T/nsm.sock" --root-out "$T/nsm-root.pem" \
    --pcr "0=$LPCR0" 2>"$T/nsm.log" &
NSM_PID=$!
trap 'kill $NSM_PID 2>/dev/null; cleanup' EXIT
for _ in $(seq 600); do [ -S "$T/nsm.sock" ] && [ -f "$T/nsm-root.pem" ] && break; sleep 0.05; done
printf 'address = "unix:%s/s.sock";\nserver = { attestation_device = "%s/nsm.sock"; };\n' \
    "$T" "$T" >"$T/server.conf"
"$PIPELINE_BIN" -c "$T/server.conf" listen 2>"$T/server.log" &
SERVER_PID=$!
for _ in $(seq 600); do grep -q "listening on" "$T/server.log" 2>/dev/null && break; sleep 0.05; done
check "Python connect() verifies an attested server" \
    $PY - "$PIPELINE_SRC/clients/python" "unix:$T/s.sock" "$T/nsm-root.pem" "$LPCR0" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import pipeline_client
from pipeline_client.errors import AttestationError
addr, root, pcr0 = sys.argv[2], sys.argv[3], sys.argv[4]
with pipeline_client.connect(addr, expect_pcrs={0: pcr0}, attestation_root=root,
                             timeout=30) as c:
    c.ping()
    info = c.attestation_result
    assert info.pcrs[0].hex() == pcr0 and info.public_key == c.server_key, info
    assert not info.debug
wrong = "ab" * 48
try:
    pipeline_client.connect(addr, expect_pcrs={0: wrong}, attestation_root=root, timeout=30)
    raise SystemExit("a wrong PCR0 was accepted")
except AttestationError as e:
    assert "PCR0: expected " + wrong + ", document has " + pcr0 in str(e), e
try:  # the default root is AWS's: the stand-in's chain does not reach it
    pipeline_client.connect(addr, expect_pcrs={0: pcr0}, timeout=30)
    raise SystemExit("the stand-in's chain was accepted under the AWS root")
except AttestationError as e:
    assert "does not chain to the trusted root" in str(e), e
PYEOF
finish
