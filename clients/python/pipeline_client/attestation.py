"""Verification of AWS Nitro Enclaves attestation documents.

The same rules, in the same order and with the same messages, as the C
verifier (common/attest*.c); docs/ATTESTATION.md is the rule book for both.
Self-contained: only the standard library, Debian's python3-cbor2 and
python3-cryptography.

    from pipeline_client.attestation import verify, Expectations
    info = verify(document_bytes, Expectations(pcrs={0: bytes.fromhex(...)}),
                  server_key=noise_static_public_key)

Every refusal raises AttestationError whose message is one line naming the
failed check, with the expected and actual values where there are some.

Two things are done here by hand, because the libraries cannot:
- cbor2 silently keeps the last of two equal map keys and accepts
  indefinite lengths, so a small walker over CBOR item *headers* bounds the
  structure first (definite lengths, nesting, counts, tags) and yields the
  byte span of each array element and map pair; cbor2 decodes every value.
- python3-cryptography 38 has no certificate path validation, so the chain
  is built by name, and checked with its signature primitives: signatures,
  validity times, CA basic constraints and path lengths, key usage, and no
  unknown critical extension (the checks OpenSSL makes for the C verifier).
"""
import base64
import datetime
import hashlib
import hmac
import re
import sys
import time

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import ExtensionOID, NameOID

MAX_PCRS = 32
PCR_LEN = 48
MAX_DOC = 17 * 1024
MAX_PAYLOAD = 16384
MAX_PUBLIC_KEY = 1024
MAX_USER_DATA = 512
MAX_NONCE = 512
MAX_CABUNDLE = 8
MAX_CERT = 1024
MAX_DEPTH = 8
SIG_LEN = 96
FUTURE_SKEW_S = 120
DEFAULT_MAX_AGE_S = 3 * 3600
COSE_SIGN1_TAG = 18
ES384 = -35

# The AWS Nitro Enclaves root certificate (AWS_NitroEnclaves_Root-G1,
# CN=aws.nitro-enclaves), as AWS publishes it in the Nitro Enclaves
# documentation ("Verifying the root of trust"); checked before every use
# against its published SHA-256 fingerprint.
AWS_ROOT_SHA256 = "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b"
_AWS_ROOT_B64 = """
MIICETCCAZagAwIBAgIRAPkxdWgbkK/hHUbMtOTn+FYwCgYIKoZIzj0EAwMwSTELMAkGA1UEBhMC
VVMxDzANBgNVBAoMBkFtYXpvbjEMMAoGA1UECwwDQVdTMRswGQYDVQQDDBJhd3Mubml0cm8tZW5j
bGF2ZXMwHhcNMTkxMDI4MTMyODA1WhcNNDkxMDI4MTQyODA1WjBJMQswCQYDVQQGEwJVUzEPMA0G
A1UECgwGQW1hem9uMQwwCgYDVQQLDANBV1MxGzAZBgNVBAMMEmF3cy5uaXRyby1lbmNsYXZlczB2
MBAGByqGSM49AgEGBSuBBAAiA2IABPwCVOumCMHzaHDimtqQvkY4MpJzbolL//Zy2YlES1BR5TSk
sfbb48C8WBoyt7F2Bw7eEtaaP+ohG2bnUs990d0JX28TcPQXCEPZ3BABIeTPYwEoCWZEh8l5YoQw
TcU/9KNCMEAwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUkCW1DdkFR+eWw5b6cp3PmanfS5Yw
DgYDVR0PAQH/BAQDAgGGMAoGCCqGSM49BAMDA2kAMGYCMQCjfy+Rocm9Xue4YnwWmNJVA44fA0P5
W2OpYow9OYCVRaEevL8uO1XYru5xtMPWrfMCMQCi85sWBbJwKKXdS6BptQFuZbT73o/gBh1qUxl/
nNr12UO8Yfwr6wPLb+6NIwLz3/Y=
"""


class AttestationError(Exception):
    """A refused document; str(e) is the one-line reason."""


class Expectations:
    """What the caller requires of a document.

    pcrs: {index: 48 bytes}; root_der: trusted root (None: built-in AWS
    root); allow_debug: accept PCR0..2 all zero when PCRs are expected;
    max_age_s: oldest accepted (None/0: 3 hours); now_s: the clock (None:
    time.time()); nonce: bytes the document's nonce must equal (None: not
    checked).
    """

    def __init__(self, pcrs=None, root_der=None, allow_debug=False, max_age_s=None,
                 now_s=None, nonce=None):
        self.pcrs = dict(pcrs or {})
        self.root_der = root_der
        self.allow_debug = allow_debug
        self.max_age_s = max_age_s
        self.now_s = now_s
        self.nonce = nonce


class AttestationInfo:
    """The document's fields (set as soon as the payload decoded)."""

    def __init__(self):
        self.module_id = ""
        self.digest = ""
        self.timestamp_ms = 0
        self.pcrs = {}
        self.debug = False
        self.public_key = None
        self.user_data = None
        self.nonce = None

    def as_dict(self):
        return {
            "module_id": self.module_id,
            "timestamp_ms": self.timestamp_ms,
            "digest": self.digest,
            "pcrs": {str(k): v.hex() for k, v in sorted(self.pcrs.items())},
            "debug": self.debug,
            "public_key": base64.b64encode(self.public_key).decode() if self.public_key else None,
            "user_data": self.user_data.hex() if self.user_data else None,
            "nonce": self.nonce.hex() if self.nonce else None,
        }


def _fail(msg):
    raise AttestationError("attestation: " + msg)


def aws_root():
    der = base64.b64decode("".join(_AWS_ROOT_B64.split()))
    if hashlib.sha256(der).hexdigest() != AWS_ROOT_SHA256:
        raise AttestationError("attestation: the built-in AWS root certificate does "
                               "not match its SHA-256 fingerprint")
    return der


# ---- CBOR structure (headers only; cbor2 decodes the values) ----

class _Truncated(Exception):
    pass


class _Malformed(Exception):
    pass


def _head(buf, pos):
    """(major, value or None for indefinite, position after the header)."""
    if pos >= len(buf):
        raise _Truncated()
    ib = buf[pos]
    major, ai = ib >> 5, ib & 31
    pos += 1
    if ai < 24:
        return major, ai, pos
    if ai <= 27:
        size = 1 << (ai - 24)
        if pos + size > len(buf):
            raise _Truncated()
        return major, int.from_bytes(buf[pos:pos + size], "big"), pos + size
    if ai == 31:
        return major, None, pos
    raise _Malformed()


def _scan(buf, what):
    """Refuses what the C verifier's scan refuses; one top-level item."""
    stack = []
    tagged = False
    pos = 0
    n = len(buf)
    try:
        while True:
            start = pos
            major, val, pos = _head(buf, pos)
            left = n - start
            if val is None:
                if major in (2, 3, 4, 5, 7):
                    _fail("%s: refused CBOR at byte %d: an indefinite-length item" % (what, start))
                raise _Malformed()
            if major == 6:
                if tagged:
                    _fail("%s: refused CBOR at byte %d: a tag of a tag" % (what, start))
                if stack:
                    _fail("%s: refused CBOR at byte %d: a tag inside the document" % (what, start))
                tagged = True
                continue
            tagged = False
            if major in (2, 3):
                if val > n - pos:
                    raise _Truncated()
                pos += val
                count = 0
            elif major in (4, 5):
                if (major == 4 and val > left) or (major == 5 and val > left // 2):
                    _fail("%s: refused CBOR at byte %d: a count larger than the data" % (what, start))
                count = val if major == 4 else 2 * val
                if count:
                    if len(stack) >= MAX_DEPTH:
                        _fail("%s: refused CBOR at byte %d: nesting too deep" % (what, start))
                    stack.append(count)
                    continue
            # One complete item; closing containers completes their parents.
            while stack:
                stack[-1] -= 1
                if stack[-1]:
                    break
                stack.pop()
            if not stack:
                break
    except _Truncated:
        _fail("%s: truncated CBOR (%d bytes)" % (what, n))
    except _Malformed:
        _fail("%s: malformed CBOR at byte %d" % (what, start))
    if pos != n:
        _fail("%s: %d stray bytes after the CBOR item" % (what, n - pos))


def _item_end(buf, pos):
    """End of the (already scanned, definite) item starting at pos."""
    todo = 1
    while todo:
        major, val, pos = _head(buf, pos)
        todo -= 1
        if major in (2, 3):
            pos += val
        elif major == 4:
            todo += val
        elif major == 5:
            todo += 2 * val
        elif major == 6:
            todo += 1
    return pos


def _container(buf, pos=0):
    """(major, count, [spans]) of the array or map at pos; spans are
    (start, end) of elements, or of keys and values in turn."""
    major, val, p = _head(buf, pos)
    items = val if major == 4 else 2 * val
    spans = []
    for _ in range(items):
        end = _item_end(buf, p)
        spans.append((p, end))
        p = end
    return major, val, spans


def _load(buf, span, what):
    try:
        return cbor2.loads(bytes(buf[span[0]:span[1]]))
    except Exception:
        _fail("%s: malformed CBOR at byte %d" % (what, span[0]))


def _is_uint(v):
    return type(v) is int and v >= 0


# ---- COSE_Sign1 ----

def _cose(doc):
    if not doc:
        _fail("document is empty")
    if len(doc) > MAX_DOC:
        _fail("document is %d bytes, more than the %d allowed" % (len(doc), MAX_DOC))
    if 0xc0 <= doc[0] <= 0xd7 and doc[0] != 0xc0 + COSE_SIGN1_TAG:
        _fail("COSE_Sign1: expected tag 18 or no tag, document has tag %d" % (doc[0] - 0xc0))
    short_tag = doc[0] == 0xc0 + COSE_SIGN1_TAG
    if short_tag and len(doc) > 1 and 0xc0 <= doc[1] <= 0xdb:
        _fail("COSE_Sign1: a tag inside tag 18")
    buf = doc[1:] if short_tag else doc
    _scan(buf, "document")
    pos = 0
    major, val, after = _head(buf, 0)
    if major == 6:
        if short_tag:
            _fail("COSE_Sign1: a tag inside tag 18")
        if val != COSE_SIGN1_TAG:
            _fail("COSE_Sign1: expected tag 18 or no tag, document has tag %d" % val)
        pos = after
    major, count, spans = _container(buf, pos) if _head(buf, pos)[0] in (4, 5) else (None, 0, [])
    if major != 4 or count != 4:
        _fail("COSE_Sign1: expected an array of 4 (protected, unprotected, payload, signature)")
    prot = _load(buf, spans[0], "document")
    if type(prot) is not bytes:
        _fail("COSE_Sign1: protected header is not a byte string")
    umajor, ucount, _ = _container(buf, spans[1][0]) if _head(buf, spans[1][0])[0] in (4, 5) else (None, 0, [])
    if umajor != 5:
        _fail("COSE_Sign1: unprotected header is not a map")
    if ucount:
        _fail("COSE_Sign1: unprotected header has %d entries, expected none" % ucount)
    payload = _load(buf, spans[2], "document")
    if type(payload) is not bytes:
        _fail("COSE_Sign1: payload is not a byte string")
    if not 1 <= len(payload) <= MAX_PAYLOAD:
        _fail("COSE_Sign1: payload is %d bytes, expected 1 to %d" % (len(payload), MAX_PAYLOAD))
    sig = _load(buf, spans[3], "document")
    if type(sig) is not bytes:
        _fail("COSE_Sign1: signature is not a byte string")
    if len(sig) != SIG_LEN:
        _fail("signature: expected %d bytes (ES384 r||s), document has %d" % (SIG_LEN, len(sig)))
    _check_protected(prot)
    return prot, payload, sig


def _check_protected(prot):
    _scan(prot, "protected header")
    major, count, spans = _container(prot) if _head(prot, 0)[0] in (4, 5) else (None, 0, [])
    if major != 5 or count != 1:
        _fail("protected header: expected a map holding only the algorithm {1: -35}")
    key = _load(prot, spans[0], "protected header")
    if not _is_uint(key) or key != 1:
        _fail("protected header: expected only the algorithm label 1, found another label")
    alg = _load(prot, spans[1], "protected header")
    if type(alg) is not int or not -2**63 < alg < 2**63 - 1:
        _fail("algorithm: expected ES384 (-35), found a non-integer algorithm")
    if alg != ES384:
        _fail("algorithm: expected ES384 (-35), document has %d" % alg)


# ---- the payload ----

_FIELDS = ("module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle",
           "public_key", "user_data", "nonce")


def _bytes(v, field, lo, hi):
    if type(v) is not bytes:
        _fail("field %s: expected a byte string" % field)
    if not lo <= len(v) <= hi:
        _fail("field %s: %d bytes, expected %d to %d" % (field, len(v), lo, hi))
    return v


def _printable(s):
    return all(0x20 <= ord(c) <= 0x7e for c in s)


def _payload(payload, info):
    _scan(payload, "payload")
    major = _head(payload, 0)[0]
    if major != 5:
        _fail("payload: expected a map of fields")
    _, count, spans = _container(payload)
    seen = set()
    doc = {}
    for i in range(0, len(spans), 2):
        k = _load(payload, spans[i], "payload")
        if type(k) is not str:
            _fail("payload: a key is not a text string")
        if k not in _FIELDS:
            if len(k.encode()) <= 32 and _printable(k):
                _fail('payload: unknown field "%s"' % k)
            _fail("payload: unknown field")
        if k in seen:
            _fail("payload: field %s appears twice" % k)
        seen.add(k)
        vspan = spans[i + 1]
        if k == "pcrs":
            _pcrs(payload, vspan, info)
            continue
        v = _load(payload, vspan, "payload")
        if k == "cabundle":
            _cabundle(payload, vspan, doc)
            continue
        _field(k, v, info, doc)
    for k in _FIELDS[:6]:
        if k not in seen:
            _fail("payload: field %s is missing" % k)
    info.debug = all(i in info.pcrs and not any(info.pcrs[i]) for i in (0, 1, 2))
    return doc


def _field(k, v, info, doc):
    if k == "module_id":
        if type(v) is not str:
            _fail("field module_id: expected a text string")
        n = len(v.encode())
        if not 1 <= n <= 127:
            _fail("field module_id: %d bytes, expected 1 to 127" % n)
        if not _printable(v):
            _fail("field module_id: expected printable ASCII")
        info.module_id = v
    elif k == "digest":
        if type(v) is not str:
            _fail("field digest: expected a text string")
        if v != "SHA384":
            _fail('field digest: expected "SHA384", document has another value')
        info.digest = v
    elif k == "timestamp":
        if not _is_uint(v):
            _fail("field timestamp: expected an unsigned integer")
        if v == 0 or v > 2**63 - 1:
            _fail("field timestamp: %d is out of range" % v)
        info.timestamp_ms = v
    elif k == "certificate":
        doc["certificate"] = _bytes(v, "certificate", 1, MAX_CERT)
    elif k in ("public_key", "user_data", "nonce"):
        lo, hi = {"public_key": (1, MAX_PUBLIC_KEY), "user_data": (0, MAX_USER_DATA),
                  "nonce": (0, MAX_NONCE)}[k]
        setattr(info, k, None if v is None else _bytes(v, k, lo, hi))


def _pcrs(payload, span, info):
    if _head(payload, span[0])[0] != 5:
        _fail("field pcrs: expected a map of index to byte string")
    _, count, spans = _container(payload, span[0])
    if not 1 <= count <= MAX_PCRS:
        _fail("field pcrs: %d entries, expected 1 to %d" % (count, MAX_PCRS))
    for i in range(0, len(spans), 2):
        idx = _load(payload, spans[i], "payload")
        if not _is_uint(idx):
            _fail("field pcrs: expected unsigned integer indexes")
        if idx >= MAX_PCRS:
            _fail("field pcrs: index %d, expected 0 to %d" % (idx, MAX_PCRS - 1))
        if idx in info.pcrs:
            _fail("field pcrs: index %d appears twice" % idx)
        info.pcrs[idx] = _bytes(_load(payload, spans[i + 1], "payload"),
                                "pcrs[%d]" % idx, PCR_LEN, PCR_LEN)


def _cabundle(payload, span, doc):
    if _head(payload, span[0])[0] != 4:
        _fail("field cabundle: expected an array of byte strings")
    _, count, spans = _container(payload, span[0])
    if not 1 <= count <= MAX_CABUNDLE:
        _fail("field cabundle: %d certificates, expected 1 to %d" % (count, MAX_CABUNDLE))
    doc["cabundle"] = [_bytes(_load(payload, s, "payload"), "cabundle[%d]" % i, 1, MAX_CERT)
                       for i, s in enumerate(spans)]


# ---- the certificate chain ----

def _utc(t):
    return datetime.datetime.utcfromtimestamp(t).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ts(dt):
    return int(dt.replace(tzinfo=datetime.timezone.utc).timestamp())


def _cn(cert):
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    name = cns[0].value if cns else cert.subject.rfc4514_string()
    return "".join(c if 0x20 <= ord(c) <= 0x7e else "?" for c in name)


def _der_cert(der, field):
    try:
        return x509.load_der_x509_certificate(der)
    except Exception:
        _fail("field %s: not a DER X.509 certificate" % field)


_KNOWN_CRITICAL = {ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.KEY_USAGE,
                   ExtensionOID.EXTENDED_KEY_USAGE, ExtensionOID.SUBJECT_ALTERNATIVE_NAME}


def _ext(cert, cls):
    try:
        return cert.extensions.get_extension_for_class(cls).value
    except x509.ExtensionNotFound:
        return None


def _sig_ok(issuer, cert):
    pub = issuer.public_key()
    try:
        if isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes,
                       ec.ECDSA(cert.signature_hash_algorithm))
        elif isinstance(pub, rsa.RSAPublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                       cert.signature_hash_algorithm)
        else:
            return False
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def _chain(doc, root_der, at_s, now_s):
    try:
        root = x509.load_der_x509_certificate(root_der)
    except Exception:
        raise AttestationError("attestation: the trusted root is not a DER certificate")
    leaf = _der_cert(doc["certificate"], "certificate")
    bundle = [_der_cert(c, "cabundle[%d]" % i) for i, c in enumerate(doc["cabundle"])]
    fp = hashlib.sha256(root_der).hexdigest()

    def no_chain(cert, depth, why):
        _fail('certificate chain: "%s" (depth %d) does not chain to the trusted root "%s" '
              "(SHA-256 %s): %s" % (_cn(cert), depth, _cn(root), fp, why))

    # Build by name, preferring the trusted root, as OpenSSL does.
    chain = [leaf]
    used = set()
    while True:
        cur = chain[-1]
        depth = len(chain) - 1
        if cur.issuer == root.subject:
            chain.append(root)
            break
        if cur.issuer == cur.subject:
            no_chain(cur, depth, "self-signed certificate" if depth == 0
                     else "self-signed certificate in certificate chain")
        nxt = None
        for i, c in enumerate(bundle):
            if i not in used and c.subject == cur.issuer:
                nxt = i
                break
        if nxt is None:
            no_chain(cur, depth, "unable to get local issuer certificate")
        if len(chain) > MAX_CABUNDLE:
            _fail('certificate chain: "%s" (depth %d): certificate chain too long'
                  % (_cn(cur), depth))
        used.add(nxt)
        chain.append(bundle[nxt])
    # CA constraints on every issuer.
    for depth, cert in enumerate(chain):
        for e in cert.extensions:
            if e.critical and e.oid not in _KNOWN_CRITICAL:
                _fail('certificate chain: "%s" (depth %d): unhandled critical extension'
                      % (_cn(cert), depth))
        if depth == 0:
            continue
        bc = _ext(cert, x509.BasicConstraints)
        if bc is None or not bc.ca:
            _fail('certificate chain: "%s" (depth %d): invalid CA certificate' % (_cn(cert), depth))
        if bc.path_length is not None and depth - 1 > bc.path_length:
            _fail('certificate chain: "%s" (depth %d): path length constraint exceeded'
                  % (_cn(cert), depth))
        ku = _ext(cert, x509.KeyUsage)
        if ku is not None and not ku.key_cert_sign:
            _fail('certificate chain: "%s" (depth %d): key usage does not include certificate '
                  "signing" % (_cn(cert), depth))
    # From the root down: validity at the document's time, then signature.
    for depth in range(len(chain) - 1, -1, -1):
        cert = chain[depth]
        nb, na = _ts(cert.not_valid_before), _ts(cert.not_valid_after)
        if not nb <= at_s <= na:
            _fail('certificate chain: "%s" (depth %d) is valid %s to %s, not at the '
                  "document's time %s" % (_cn(cert), depth, _utc(nb), _utc(na), _utc(at_s)))
        if depth < len(chain) - 1 and not _sig_ok(chain[depth + 1], cert):
            _fail('certificate chain: "%s" (depth %d): certificate signature failure'
                  % (_cn(cert), depth))
    for depth, cert in enumerate(chain):
        na = _ts(cert.not_valid_after)
        if na < now_s:
            _fail('certificate chain: "%s" (depth %d) expired %s, now is %s'
                  % (_cn(cert), depth, _utc(na), _utc(now_s)))
    # The leaf signs documents.
    bc = _ext(leaf, x509.BasicConstraints)
    if bc is not None and bc.ca:
        _fail("leaf certificate: is a CA certificate, expected an end-entity certificate")
    ku = _ext(leaf, x509.KeyUsage)
    if ku is not None and not ku.digital_signature:
        _fail("leaf certificate: key usage does not allow digital signatures")
    key = leaf.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp384r1":
        found = "another key type"
        if isinstance(key, ec.EllipticCurvePublicKey):
            found = {"secp256r1": "prime256v1"}.get(key.curve.name, key.curve.name)
        _fail("leaf certificate: expected an ECDSA P-384 key (ES384), found %s" % found)
    return key


def _signature(key, prot, payload, sig):
    tbs = cbor2.dumps(["Signature1", prot, b"", payload])
    der = encode_dss_signature(int.from_bytes(sig[:48], "big"), int.from_bytes(sig[48:], "big"))
    try:
        key.verify(der, tbs, ec.ECDSA(hashes.SHA384()))
    except InvalidSignature:
        _fail("signature: the ES384 signature does not verify with the leaf certificate's key")


# ---- policy ----

def _show_key(b):
    if not b:
        return "none"
    shown = b[:64]
    return "%s%s (%d bytes)" % (base64.b64encode(shown).decode(),
                                "..." if len(b) > 64 else "", len(b))


def verify(doc, expect=None, server_key=None):
    """Verifies doc (bytes: COSE_Sign1, tagged or not) and returns its
    AttestationInfo; raises AttestationError naming the failed check.
    server_key: the 32 bytes the document's public_key must equal."""
    e = expect or Expectations()
    now_s = int(e.now_s) if e.now_s else int(time.time())
    max_age = e.max_age_s or DEFAULT_MAX_AGE_S
    if max_age < 0:
        _fail("max age must not be negative")
    root_der = e.root_der if e.root_der is not None else aws_root()
    doc = bytes(doc)
    info = AttestationInfo()
    prot, payload, sig = _cose(doc)
    fields = _payload(payload, info)
    ts = info.timestamp_ms // 1000
    key = _chain(fields, root_der, ts, now_s)
    _signature(key, prot, payload, sig)
    doc_t, now_t = _utc(ts), _utc(now_s)
    if ts > now_s and ts - now_s > FUTURE_SKEW_S:
        _fail("freshness: document is from %s, %d s after now (%s); at most %d s of clock "
              "skew is allowed" % (doc_t, ts - now_s, now_t, FUTURE_SKEW_S))
    if now_s > ts and now_s - ts > max_age:
        _fail("freshness: document is from %s, %d s before now (%s); max age is %d s"
              % (doc_t, now_s - ts, now_t, max_age))
    if server_key is not None:
        pk = info.public_key or b""
        if not (len(pk) == 32 and hmac.compare_digest(pk, bytes(server_key))):
            _fail("public key: expected the server's key %s, document binds %s"
                  % (base64.b64encode(bytes(server_key)).decode(), _show_key(pk)))
    if e.nonce is not None:
        got = info.nonce or b""
        if not hmac.compare_digest(got, bytes(e.nonce)):
            _fail("nonce: expected %s (%d bytes), document has %s (%d bytes)"
                  % (bytes(e.nonce)[:64].hex() or "none", len(e.nonce),
                     got[:64].hex() or "none", len(got)))
    for i in sorted(e.pcrs):
        want = bytes(e.pcrs[i]).hex()
        if i not in info.pcrs:
            _fail("PCR%d: expected %s, document has no PCR%d" % (i, want, i))
        if info.pcrs[i] != bytes(e.pcrs[i]):
            _fail("PCR%d: expected %s, document has %s" % (i, want, info.pcrs[i].hex()))
    if e.pcrs and info.debug and not e.allow_debug:
        _fail("debug mode: PCR0, PCR1 and PCR2 are all zero (an enclave in debug mode, whose "
              "memory its host can read); allow_debug (--allow-debug) accepts it")
    return info


def verify_for_connect(doc, server_key, expect_pcrs=None, attestation_root=None,
                       allow_debug=False, max_age=None, now=None):
    """What pipeline_client's connect() calls with its arguments: expect_pcrs
    maps an index to 48 bytes or 96 hex digits, attestation_root is a PEM or
    DER file (None: the AWS root), max_age is in seconds (None: 3 hours).
    The document must bind server_key, the handshake's static key. Returns
    the AttestationInfo; raises AttestationError (or ValueError for bad
    expectations)."""
    pcrs = {}
    for idx, want in (expect_pcrs or {}).items():
        value = want if isinstance(want, (bytes, bytearray)) else None
        if value is None:
            _, value = parse_pcr("%s=%s" % (idx, want))
        if type(idx) is not int or not 0 <= idx < MAX_PCRS or len(value) != PCR_LEN:
            raise ValueError("expected PCR %r: index 0 to %d, %d bytes"
                             % (idx, MAX_PCRS - 1, PCR_LEN))
        pcrs[idx] = bytes(value)
    root = load_root(attestation_root) if attestation_root is not None else None
    e = Expectations(pcrs=pcrs, root_der=root, allow_debug=allow_debug,
                     max_age_s=int(max_age) if max_age else None, now_s=now)
    return verify(doc, e, server_key=server_key)


def parse_pcr(arg):
    """"N=HEX" -> (N, 48 bytes); ValueError with the C wording."""
    m = re.fullmatch(r"([^=]{1,2})=(.*)", arg, re.S)
    if not m:
        raise ValueError("expected PCR as N=HEX (N 0 to %d, HEX %d hex digits), not \"%s\""
                         % (MAX_PCRS - 1, 2 * PCR_LEN, arg[:40]))
    if not m.group(1).isdigit() or not m.group(1).isascii():
        raise ValueError("PCR index in \"%s\" is not a number 0 to %d" % (arg[:40], MAX_PCRS - 1))
    idx = int(m.group(1))
    if idx >= MAX_PCRS:
        raise ValueError("PCR index %d is out of range (0 to %d)" % (idx, MAX_PCRS - 1))
    hexv = m.group(2)
    if len(hexv) != 2 * PCR_LEN:
        raise ValueError("PCR%d value has %d hex digits, expected %d (a SHA-384 value)"
                         % (idx, len(hexv), 2 * PCR_LEN))
    if not re.fullmatch(r"[0-9a-fA-F]+", hexv):
        raise ValueError("PCR%d value is not hexadecimal" % idx)
    return idx, bytes.fromhex(hexv)


def load_root(path):
    """A PEM or DER certificate file -> DER bytes; ValueError otherwise."""
    data = open(path, "rb").read(64 * 1024 + 1)
    if len(data) > 64 * 1024:
        raise ValueError("attestation root %s: larger than %d bytes, not a certificate"
                         % (path, 64 * 1024))
    for loader in (x509.load_der_x509_certificate, x509.load_pem_x509_certificate):
        try:
            return loader(data).public_bytes(serialization.Encoding.DER)
        except Exception:
            pass
    raise ValueError("attestation root %s: not a PEM or DER X.509 certificate" % path)


def read_document(data):
    """Raw CBOR, or base64 of it (as `pipeline attest --document` reads)."""
    if data[:1] in (b"\x84", b"\xd2") or not data:
        return data
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except Exception:
        return data


def _print_text(info, out):
    t = datetime.datetime.utcfromtimestamp(info.timestamp_ms // 1000)
    print("module_id:  %s" % info.module_id, file=out)
    print("timestamp:  %s.%03dZ (%d ms)" % (t.strftime("%Y-%m-%dT%H:%M:%S"),
                                           info.timestamp_ms % 1000, info.timestamp_ms), file=out)
    print("digest:     %s" % info.digest, file=out)
    for n in (0, 1, 2, 3, 4, 8):
        v = info.pcrs.get(n)
        print("pcr%d:%s%s" % (n, " " * 7, v.hex() if v else "(absent)"), file=out)
    print("debug:      %s" % ("yes (PCR0, PCR1 and PCR2 are all zero)" if info.debug else "no"),
          file=out)
    pk = info.public_key
    if pk and len(pk) == 32:
        shown = base64.b64encode(pk).decode()
    elif pk:
        shown = "%s (%d bytes, not a pipeline server key)" % (base64.b64encode(pk).decode(),
                                                             len(pk))
    else:
        shown = "(absent)"
    print("public_key: %s" % shown, file=out)
    if info.user_data:
        print("user_data:  %s" % info.user_data.hex(), file=out)
    if info.nonce:
        print("nonce:      %s" % info.nonce.hex(), file=out)


def main(argv=None):
    """python3 attestation.py --document FILE [--at SECS] [--json]
    [--expect-pcr N=HEX]... [--attestation-root FILE] [--allow-debug]
    [--attestation-max-age SECS]: exit 0 valid, 1 refused, 2 usage."""
    import argparse
    import json

    class Parser(argparse.ArgumentParser):
        def error(self, message):
            print("attestation: %s" % message, file=sys.stderr)
            sys.exit(2)

    p = Parser(description="Verify an AWS Nitro Enclaves attestation document.")
    p.add_argument("--document", required=True)
    p.add_argument("--at", type=int)
    p.add_argument("--json", action="store_true")
    p.add_argument("--expect-pcr", action="append", default=[])
    p.add_argument("--attestation-root")
    p.add_argument("--allow-debug", action="store_true")
    p.add_argument("--attestation-max-age", type=int)
    a = p.parse_args(argv)
    e = Expectations(allow_debug=a.allow_debug, now_s=a.at, max_age_s=a.attestation_max_age)
    try:
        for arg in a.expect_pcr:
            i, v = parse_pcr(arg)
            e.pcrs[i] = v
        if a.at is not None and a.at <= 0:
            raise ValueError("--at: must be a positive number of seconds since 1970")
        if a.attestation_max_age is not None and a.attestation_max_age < 1:
            raise ValueError("--attestation-max-age: must be at least 1 second")
        if a.attestation_root:
            e.root_der = load_root(a.attestation_root)
        with (sys.stdin.buffer if a.document == "-" else open(a.document, "rb")) as f:
            doc = read_document(f.read(2 * MAX_DOC + 4096))
    except (ValueError, OSError) as err:
        print("attestation: %s" % err, file=sys.stderr)
        return 2
    try:
        info = verify(doc, e)
    except AttestationError as err:
        print("%s: %s" % (a.document, err), file=sys.stderr)
        if a.json:
            print(json.dumps({"valid": False, "error": str(err)}))
        return 1
    if a.json:
        d = {"valid": True}
        d.update(info.as_dict())
        print(json.dumps(d))
    else:
        _print_text(info, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
