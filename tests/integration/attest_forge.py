#!/usr/bin/python3
"""Makes altered attestation documents for the tests, from the real one.

    attest_forge.py flip-signature IN OUT     one bit of the ES384 signature
    attest_forge.py flip-pcr IN OUT           one bit of PCR3 (signed payload)
    attest_forge.py truncate IN OUT           drop the last byte
    attest_forge.py raw IN OUT                base64 file -> raw CBOR
    attest_forge.py other-root IN OUT ROOT    same fields, but the chain and
        signature come from a throwaway root made now (ROOT gets its PEM)
    attest_forge.py CASE IN OUT ROOT          like other-root, with one rule
        broken (or one accepted variation), CASE one of FORGED_CASES
    attest_forge.py batch IN DIR              all of the above at once:
        DIR/MODE (and DIR/MODE.pem for those with a root)

IN may be base64 or raw; OUT is raw CBOR. Only Debian's python3-cbor2 and
python3-cryptography are used.
"""
import base64
import datetime
import sys

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID


def load(path):
    data = open(path, "rb").read()
    if data[:1] in (b"\x84", b"\xd2"):
        return data
    return base64.b64decode(b"".join(data.split()))


def cose_parts(doc):
    item = cbor2.loads(doc)
    if isinstance(item, cbor2.CBORTag):
        item = item.value
    return item


def flip_signature(doc):
    out = bytearray(doc)
    out[-50] ^= 0x01  # the signature is the last 96 bytes
    return bytes(out)


def flip_pcr(doc, index=3):
    payload = cbor2.loads(cose_parts(doc)[2])
    pcr = payload["pcrs"][index]
    at = doc.find(pcr)
    assert at > 0
    out = bytearray(doc)
    out[at + 10] ^= 0x80
    return bytes(out)


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, key, issuer, issuer_key, ca, not_before, not_after):
    b = (x509.CertificateBuilder()
         .subject_name(_name(subject))
         .issuer_name(_name(issuer))
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(not_before)
         .not_valid_after(not_after)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(
             digital_signature=not ca, content_commitment=False, key_encipherment=False,
             data_encipherment=False, key_agreement=False, key_cert_sign=ca,
             crl_sign=ca, encipher_only=False, decipher_only=False), critical=True))
    return b.sign(issuer_key, hashes.SHA384())


def sign1(payload_bytes, leaf_key):
    protected = cbor2.dumps({1: -35})
    tbs = cbor2.dumps(["Signature1", protected, b"", payload_bytes])
    der = leaf_key.sign(tbs, ec.ECDSA(hashes.SHA384()))
    r, s = decode_dss_signature(der)
    sig = r.to_bytes(48, "big") + s.to_bytes(48, "big")
    return cbor2.dumps([protected, {}, payload_bytes, sig])


def _map(pairs, indefinite=False):
    """A CBOR map from (key, value) pairs, duplicates kept as given."""
    body = b"".join(cbor2.dumps(k) + cbor2.dumps(v) for k, v in pairs)
    if indefinite:
        return b"\xbf" + body + b"\xff"
    n = len(pairs)
    head = bytes([0xa0 + n]) if n < 24 else bytes([0xb8, n])
    return head + body


# Each case changes the payload pairs, the protected header or the envelope.
FORGED_CASES = ["dup-digest", "extra-field", "alg-7", "tagged", "pcr32", "bundle9",
                "unprotected", "indefinite", "null-key", "module-id-control",
                "pcr-index-40", "no-cabundle", "timestamp-text"]


def other_root(doc, case=None):
    """The same document fields, chained to and signed under a new root."""
    payload = cbor2.loads(cose_parts(doc)[2])
    when = datetime.datetime.utcfromtimestamp(payload["timestamp"] / 1000)
    root_key = ec.generate_private_key(ec.SECP384R1())
    leaf_key = ec.generate_private_key(ec.SECP384R1())
    day = datetime.timedelta(days=1)
    root = _cert("throwaway test root", root_key, "throwaway test root", root_key,
                 True, when - day, when + 30 * day)
    leaf = _cert("throwaway test leaf", leaf_key, "throwaway test root", root_key,
                 False, when - datetime.timedelta(minutes=1), when + datetime.timedelta(hours=3))
    payload["certificate"] = leaf.public_bytes(serialization.Encoding.DER)
    payload["cabundle"] = [root.public_bytes(serialization.Encoding.DER)]
    pem = root.public_bytes(serialization.Encoding.PEM)
    if case is None:
        return sign1(cbor2.dumps(payload), leaf_key), pem
    pairs = list(payload.items())
    alg, tagged, unprotected, indefinite = -35, False, {}, False
    if case == "dup-digest":
        pairs.insert(2, ("digest", "SHA384"))
    elif case == "extra-field":
        pairs.append(("extra", 1))
    elif case == "alg-7":
        alg = -7
    elif case == "tagged":
        tagged = True
    elif case == "pcr32":
        payload["pcrs"][5] = bytes(32)
        pairs = list(payload.items())
    elif case == "bundle9":
        payload["cabundle"] = payload["cabundle"] * 9
        pairs = list(payload.items())
    elif case == "unprotected":
        unprotected = {4: b"k"}
    elif case == "indefinite":
        indefinite = True
    elif case == "null-key":
        payload["public_key"] = None
        pairs = list(payload.items())
    elif case == "module-id-control":
        payload["module_id"] = "i-abc\x1b[31m"
        pairs = list(payload.items())
    elif case == "pcr-index-40":
        payload["pcrs"][40] = bytes(48)
        pairs = list(payload.items())
    elif case == "no-cabundle":
        pairs = [(k, v) for k, v in pairs if k != "cabundle"]
    elif case == "timestamp-text":
        payload["timestamp"] = str(payload["timestamp"])
        pairs = list(payload.items())
    else:
        sys.exit("unknown case " + case)
    body = _map(pairs, indefinite)
    protected = cbor2.dumps({1: alg})
    tbs = cbor2.dumps(["Signature1", protected, b"", body])
    r, s = decode_dss_signature(leaf_key.sign(tbs, ec.ECDSA(hashes.SHA384())))
    sig = r.to_bytes(48, "big") + s.to_bytes(48, "big")
    out = cbor2.dumps([protected, unprotected, body, sig])
    return (b"\xd2" + out if tagged else out), pem


def batch(doc, outdir):
    simple = {"flip-signature": flip_signature, "flip-pcr": flip_pcr,
              "truncate": lambda d: d[:-1], "raw": lambda d: d}
    for mode, fn in simple.items():
        open("%s/%s" % (outdir, mode), "wb").write(fn(doc))
    for mode in ["other-root"] + FORGED_CASES:
        out, pem = other_root(doc, None if mode == "other-root" else mode)
        open("%s/%s" % (outdir, mode), "wb").write(out)
        open("%s/%s.pem" % (outdir, mode), "wb").write(pem)


def main(argv):
    mode, src, dst = argv[1], argv[2], argv[3]
    doc = load(src)
    if mode == "batch":
        batch(doc, dst)
        return
    if mode == "flip-signature":
        out = flip_signature(doc)
    elif mode == "flip-pcr":
        out = flip_pcr(doc)
    elif mode == "truncate":
        out = doc[:-1]
    elif mode == "raw":
        out = doc
    elif mode == "other-root" or mode in FORGED_CASES:
        out, pem = other_root(doc, None if mode == "other-root" else mode)
        open(argv[4], "wb").write(pem)
    else:
        sys.exit("unknown mode " + mode)
    open(dst, "wb").write(out)


if __name__ == "__main__":
    main(sys.argv)
