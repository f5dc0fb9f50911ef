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

# same WANT_RC "description" FILE ARGS...: both verifiers exit WANT_RC with
# the same reason (C prints "pipeline: attest: FILE: why", Python "FILE: why").
same() {
    local want=$1 what=$2 doc=$3
    shift 3
    local crc=0 prc=0
    timeout 60 "$PIPELINE_BIN" attest --document "$doc" "$@" >"$T/c.out" 2>"$T/c.err" || crc=$?
    timeout 60 $PY "$PYV" --document "$doc" "$@" >"$T/p.out" 2>"$T/p.err" || prc=$?
    local cwhy pwhy
    cwhy=$(sed 's/^pipeline: attest: //' "$T/c.err")
    pwhy=$(cat "$T/p.err")
    if [ "$crc" != "$want" ] || [ "$prc" != "$want" ]; then
        fail "$what: C exit $crc, Python exit $prc, want $want; C: $cwhy; Python: $pwhy"
    elif [ "$cwhy" != "$pwhy" ]; then
        fail "$what: reasons differ: C: $cwhy; Python: $pwhy"
    elif [ "$want" = 0 ] && ! cmp -s "$T/c.out" "$T/p.out"; then
        fail "$what: printed fields differ: $(diff "$T/c.out" "$T/p.out" | head -5)"
    else
        ok "$what (exit $want${cwhy:+: ${cwhy#*: attestation: }})"
    fi
}

same 0 "real document at its own time" "$VEC" --at $AT
same 1 "real document today (expired)" "$VEC" --at "$(date +%s)"
same 1 "debug enclave with PCRs expected" "$VEC" --at $AT --expect-pcr 0=$ZERO
same 0 "debug enclave allowed" "$VEC" --at $AT --expect-pcr 0=$ZERO --expect-pcr 3=$PCR3 --allow-debug
same 1 "wrong expected PCR" "$VEC" --at $AT --expect-pcr 3=$WRONG --allow-debug
same 1 "PCR the document lacks" "$VEC" --at $AT --expect-pcr 20=$WRONG
same 1 "older than max age" "$VEC" --at $((AT + 600)) --attestation-max-age 60
same 1 "from the future" "$VEC" --at $((AT - 3600))
$FORGE flip-signature "$VEC" "$T/flipsig"
same 1 "flipped signature byte" "$T/flipsig" --at $AT
$FORGE flip-pcr "$VEC" "$T/flippcr"
same 1 "flipped PCR byte" "$T/flippcr" --at $AT
$FORGE truncate "$VEC" "$T/trunc"
same 1 "truncated document" "$T/trunc" --at $AT
$FORGE raw "$VEC" "$T/raw"
head -c 100 "$T/raw" >"$T/short"
same 1 "first 100 bytes" "$T/short" --at $AT
printf '\xd2\xd2\x80' >"$T/tags"
same 1 "two tags" "$T/tags" --at $AT
printf '\xc7\x80' >"$T/tag7"
same 1 "tag 7" "$T/tag7" --at $AT
printf '\x9f\x40\xff' >"$T/indef"
same 1 "indefinite array" "$T/indef" --at $AT
printf '\x9a\xff\xff\xff\xff' >"$T/huge"
same 1 "array claiming 2^32 items" "$T/huge" --at $AT
$FORGE other-root "$VEC" "$T/other.cbor" "$T/other.pem"
same 1 "certificate from another root" "$T/other.cbor" --at $AT
same 0 "its own root trusted" "$T/other.cbor" --at $AT --attestation-root "$T/other.pem"
same 1 "AWS document under another root" "$VEC" --at $AT --attestation-root "$T/other.pem"
for c in dup-digest extra-field alg-7 tagged pcr32 bundle9 unprotected indefinite \
    null-key module-id-control pcr-index-40 no-cabundle timestamp-text; do
    $FORGE $c "$VEC" "$T/$c.cbor" "$T/$c.pem"
    want=1
    case $c in tagged | null-key) want=0 ;; esac
    same $want "forged: $c" "$T/$c.cbor" --at $AT --attestation-root "$T/$c.pem"
done

# The module's API: key binding and its error, as a client would call it.
check "Python API: key binding and expectations" $PY - "$PYV" "$T/other.cbor" "$T/other.pem" <<'PYEOF'
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
finish
