# pipeline attest --document: the real AWS attestation document in
# tests/vectors/nitro/ verified offline, and refused when altered, expired,
# debug-mode with PCRs expected, or chained to another root.
. "$(dirname "$0")/lib.sh"

T=$TESTROOT
cd "$T" || exit 1
VEC="$PIPELINE_SRC/tests/vectors/nitro/debug-enclave-2024-09-17.b64"
FORGE="/usr/bin/python3 $PIPELINE_SRC/tests/integration/attest_forge.py"
AT=1726534080 # the document's own time (SOURCE.md)
ZERO=$(printf '0%.0s' $(seq 96))
PCR3=671ca1e328f75015b2aeee60639cc5252bc835d8bb690444d1f8e2bf4260f73dc1b71e07a14a770c7d0becac6eb3b53f
WRONG=$(printf 'ab%.0s' $(seq 48))

pa() { timeout 60 "$PIPELINE_BIN" attest "$@"; }

# Valid at its own time, base64, raw and from stdin.
expect_rc 0 "real document verifies at its own time" pa --document "$VEC" --at $AT
pa --document "$VEC" --at $AT >"$T/out" 2>"$T/err"
check "prints the module id" grep -q "^module_id:  i-0bbf1bfe232b8c2ce-enc0191fc27458c1d41$" "$T/out"
check "prints the time" grep -q "^timestamp:  2024-09-17T00:47:59.695Z" "$T/out"
check "prints the digest" grep -q "^digest:     SHA384$" "$T/out"
check "prints PCR3 in hex" grep -q "^pcr3:       $PCR3$" "$T/out"
check "prints PCR0, 1, 2, 4, 8" eval '[ "$(grep -cE "^pcr(0|1|2|4|8):" "$T/out")" = 5 ]'
check "says debug mode" grep -q "^debug:      yes" "$T/out"
check "prints the public key in base64" grep -q "^public_key: ZHVtbXk= (5 bytes" "$T/out"
check "nothing on stderr when valid" test ! -s "$T/err"
$FORGE raw "$VEC" "$T/raw.cbor"
expect_rc 0 "raw CBOR document verifies" pa --document "$T/raw.cbor" --at $AT
expect_rc 0 "document from stdin verifies" sh -c "\"$PIPELINE_BIN\" attest --document - --at $AT <\"$VEC\" >/dev/null"

# --json for scripts, on success and on failure.
pa --document "$VEC" --at $AT --json >"$T/json" 2>/dev/null
check "--json: valid document" /usr/bin/python3 -c "
import json,sys; d=json.load(open('$T/json'))
assert d['valid'] is True and d['debug'] is True, d
assert d['module_id']=='i-0bbf1bfe232b8c2ce-enc0191fc27458c1d41' and d['digest']=='SHA384'
assert d['timestamp_ms']==1726534079695 and d['pcrs']['3']=='$PCR3' and d['public_key']=='ZHVtbXk='"
pa --document "$VEC" --json >"$T/json" 2>/dev/null
check "--json: expired document" /usr/bin/python3 -c "
import json; d=json.load(open('$T/json'))
assert d['valid'] is False and 'expired' in d['error'], d"

# Refusals, exit 1 with one line saying which check failed.
expect_err 1 "expired 2024-09-17T03:47:59Z" "refused at today's date (expired certificates)" \
    pa --document "$VEC"
expect_err 1 "debug mode" "debug enclave refused when PCRs are expected" \
    pa --document "$VEC" --at $AT --expect-pcr 0=$ZERO
expect_rc 0 "debug enclave accepted with --allow-debug" \
    pa --document "$VEC" --at $AT --expect-pcr 0=$ZERO --expect-pcr 3=$PCR3 --allow-debug
expect_err 1 "PCR3: expected $WRONG, document has $PCR3" "wrong expected PCR shows both values" \
    pa --document "$VEC" --at $AT --expect-pcr 3=$WRONG --allow-debug
$FORGE flip-signature "$VEC" "$T/flipsig"
expect_err 1 "signature" "one flipped signature byte refused" pa --document "$T/flipsig" --at $AT
$FORGE flip-pcr "$VEC" "$T/flippcr"
expect_err 1 "signature" "one flipped PCR byte refused" pa --document "$T/flippcr" --at $AT
$FORGE truncate "$VEC" "$T/trunc"
expect_err 1 "truncated" "truncated document refused" pa --document "$T/trunc" --at $AT
head -c 3000 "$VEC" >"$T/trunc.b64"
expect_err 1 "attestation" "truncated base64 document refused" pa --document "$T/trunc.b64" --at $AT
expect_err 1 "freshness" "older than --attestation-max-age" \
    pa --document "$VEC" --at $((AT + 600)) --attestation-max-age 60
expect_err 1 "after now" "from the future" pa --document "$VEC" --at $((AT - 3600))

# A certificate from another root: refused under the AWS root, accepted
# only when that root is the one trusted.
$FORGE other-root "$VEC" "$T/other.cbor" "$T/other-root.pem"
expect_err 1 "does not chain to the trusted root \"aws.nitro-enclaves\"" \
    "certificate from another root refused" pa --document "$T/other.cbor" --at $AT
expect_rc 0 "the same document verifies with --attestation-root of its root" \
    pa --document "$T/other.cbor" --at $AT --attestation-root "$T/other-root.pem"
expect_err 1 "does not chain to the trusted root \"throwaway test root\"" \
    "AWS document refused under another --attestation-root" \
    pa --document "$VEC" --at $AT --attestation-root "$T/other-root.pem"

# Usage errors: exit 2.
expect_err 2 "--document FILE is required" "no --document" pa --at $AT
expect_err 2 "No such file" "missing document file" pa --document "$T/nope"
expect_err 2 "--expect-pcr" "bad --expect-pcr" pa --document "$VEC" --expect-pcr 3=abc
expect_err 2 "--expect-pcr" "PCR index out of range" pa --document "$VEC" --expect-pcr 32=$ZERO
expect_err 2 "--at" "bad --at" pa --document "$VEC" --at yesterday
expect_err 2 "--attestation-max-age" "bad --attestation-max-age" \
    pa --document "$VEC" --attestation-max-age -5
echo "not a certificate" >"$T/junk.pem"
expect_err 2 "not a PEM or DER" "bad --attestation-root" \
    pa --document "$VEC" --attestation-root "$T/junk.pem"
expect_rc 2 "unknown option" pa --document "$VEC" --bogus
expect_rc 0 "--help" pa --help
finish
