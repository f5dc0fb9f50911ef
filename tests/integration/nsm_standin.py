#!/usr/bin/python3
"""A stand-in for the Nitro Secure Module, for tests without an enclave.

It makes a test certificate chain at start (root -> intermediate -> leaf,
EC P-384, lifetimes shaped like AWS's: a 30-year root, a short-lived
intermediate, a three-hour leaf made fresh for every document), listens on
a unix socket, and answers the NSM's Attestation request with a COSE_Sign1
(ES384) attestation document in AWS's format (see docs/ATTESTATION.md).

Wire: a 4-byte big-endian length, then CBOR, each way. Request
{"Attestation": {"public_key": bstr, "user_data": bstr|null,
"nonce": bstr|null}}; answer {"Attestation": {"document": bstr}} or
{"Error": text}.

Modes:
  normal     PCRs as given (--pcr N=HEX), signed by the chain under --root-out
  untrusted  the root written to --root-out is NOT the one that signs
  debug      PCR0..2 all zeros, as a debug-mode enclave reports them
  error      every request gets {"Error": "InternalError"}

Uses only Debian's python3-cryptography and python3-cbor2.
"""
import argparse
import datetime
import os
import signal
import socket
import struct
import sys
import threading
import time

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

MAX_REQUEST = 4096


def name(cn):
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Pipeline tests"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "NSM stand-in"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def make_cert(subject_cn, key, issuer_cn, issuer_key, not_before, not_after,
              ca, path_len=None):
    usage = dict(digital_signature=True, content_commitment=not ca,
                 key_encipherment=False, data_encipherment=False,
                 key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                 encipher_only=False, decipher_only=False)
    b = (x509.CertificateBuilder()
         .subject_name(name(subject_cn))
         .issuer_name(name(issuer_cn))
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(not_before)
         .not_valid_after(not_after)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=path_len if ca else None),
                        critical=True)
         .add_extension(x509.KeyUsage(**usage), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                        critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
             issuer_key.public_key()), critical=False))
    return b.sign(issuer_key, hashes.SHA384())


class Chain:
    """A root and an intermediate; leaves are issued per document."""

    def __init__(self, label):
        now = datetime.datetime.utcnow()
        self.root_key = ec.generate_private_key(ec.SECP384R1())
        self.root_cn = label + ".root.nsm-standin"
        self.root = make_cert(self.root_cn, self.root_key, self.root_cn,
                              self.root_key, now - datetime.timedelta(days=1),
                              now + datetime.timedelta(days=30 * 365), True)
        self.int_key = ec.generate_private_key(ec.SECP384R1())
        self.int_cn = label + ".intermediate.nsm-standin"
        self.inter = make_cert(self.int_cn, self.int_key, self.root_cn,
                               self.root_key, now - datetime.timedelta(hours=1),
                               now + datetime.timedelta(days=20), True, 0)

    def leaf(self, at):
        key = ec.generate_private_key(ec.SECP384R1())
        cert = make_cert("enclave.nsm-standin", key, self.int_cn, self.int_key,
                         at - datetime.timedelta(seconds=5),
                         at + datetime.timedelta(hours=3), False)
        return key, cert


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def sign_document(chain, pcrs, public_key, user_data, nonce):
    now = time.time()
    at = datetime.datetime.utcfromtimestamp(int(now))
    key, cert = chain.leaf(at)
    payload = {
        "module_id": "i-0standin0000000-enc0000000000000000",
        "digest": "SHA384",
        "timestamp": int(now * 1000),
        "pcrs": pcrs,
        "certificate": der(cert),
        "cabundle": [der(chain.root), der(chain.inter)],
        "public_key": public_key,
        "user_data": user_data,
        "nonce": nonce,
    }
    payload_bytes = cbor2.dumps(payload)
    protected = cbor2.dumps({1: -35})  # alg: ES384
    # RFC 8152 section 4.4: Sig_structure for COSE_Sign1.
    to_sign = cbor2.dumps(["Signature1", protected, b"", payload_bytes])
    r, s = decode_dss_signature(key.sign(to_sign, ec.ECDSA(hashes.SHA384())))
    signature = r.to_bytes(48, "big") + s.to_bytes(48, "big")
    return cbor2.dumps([protected, {}, payload_bytes, signature])


def read_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def answer(req, args, chain, pcrs):
    if args.mode == "error":
        return {"Error": "InternalError"}
    if not isinstance(req, dict) or list(req) != ["Attestation"]:
        return {"Error": "InvalidOperation"}
    body = req["Attestation"]
    if not isinstance(body, dict):
        return {"Error": "InvalidArgument"}
    return {"Attestation": {"document": sign_document(
        chain, pcrs, body.get("public_key"), body.get("user_data"),
        body.get("nonce"))}}


def serve_one(conn, args, chain, pcrs, counter):
    with conn:
        conn.settimeout(10)
        try:
            (n,) = struct.unpack(">I", read_exact(conn, 4))
            if n > MAX_REQUEST:
                return
            req = cbor2.loads(read_exact(conn, n))
        except (EOFError, OSError, ValueError, cbor2.CBORDecodeError):
            return
        resp = cbor2.dumps(answer(req, args, chain, pcrs))
        conn.sendall(struct.pack(">I", len(resp)) + resp)
        counter[0] += 1
        if args.count_file:
            with open(args.count_file + ".tmp", "w") as f:
                f.write("%d\n" % counter[0])
            os.replace(args.count_file + ".tmp", args.count_file)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--socket", required=True, help="unix socket to listen on")
    p.add_argument("--root-out", required=True,
                   help="write the trusted root certificate (PEM) here")
    p.add_argument("--pcr", action="append", default=[], metavar="N=HEX",
                   help="a PCR value (48 bytes hex); others are zeros")
    p.add_argument("--mode", default="normal",
                   choices=["normal", "untrusted", "debug", "error"])
    p.add_argument("--count-file", help="write the number of answers here")
    args = p.parse_args()

    pcrs = {i: bytes(48) for i in range(16)}
    for spec in args.pcr:
        idx, _, hexval = spec.partition("=")
        value = bytes.fromhex(hexval)
        if len(value) != 48 or not 0 <= int(idx) < 32:
            sys.exit("--pcr wants N=HEX with 48 bytes of HEX")
        pcrs[int(idx)] = value
    if args.mode == "debug":
        for i in range(3):
            pcrs[i] = bytes(48)
    chain = Chain("standin")
    published = chain
    if args.mode == "untrusted":
        published = Chain("other")  # the client trusts a root that signed nothing
    pem = published.root.public_bytes(serialization.Encoding.PEM)
    with open(args.root_out + ".tmp", "wb") as f:
        f.write(pem)
    os.replace(args.root_out + ".tmp", args.root_out)

    if os.path.exists(args.socket):
        os.unlink(args.socket)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(args.socket)
    srv.listen(16)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    counter = [0]
    lock = threading.Lock()

    def handle(conn):
        with lock:  # one at a time, as the device does
            serve_one(conn, args, chain, pcrs, counter)

    try:
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=handle, args=(conn,), daemon=True).start()
    finally:
        srv.close()
        try:
            os.unlink(args.socket)
        except OSError:
            pass


if __name__ == "__main__":
    main()
