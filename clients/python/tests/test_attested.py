"""connect(expect_pcrs=...) against a server attested by the NSM stand-in
(tests/integration/nsm_standin.py, a test certificate chain)."""
import hashlib
import os
import subprocess
import sys
import time

import pytest

import pipeline_client as pc

SRC = os.environ.get("PIPELINE_SRC") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
STANDIN = os.path.join(SRC, "tests", "integration", "nsm_standin.py")
PCR0 = hashlib.sha384(b"pipeline test image").hexdigest()
PCR2 = hashlib.sha384(b"pipeline test application").hexdigest()


@pytest.fixture
def attested(pipeline_server_factory, tmp_path):
    sock, root = tmp_path / "nsm.sock", tmp_path / "root.pem"
    p = subprocess.Popen([sys.executable, STANDIN, "--socket", str(sock),
                          "--root-out", str(root), "--mode", "normal",
                          "--pcr", "0=" + PCR0, "--pcr", "2=" + PCR2],
                         stderr=open(tmp_path / "nsm.log", "wb"))
    try:
        deadline = time.monotonic() + 30
        while not (sock.exists() and root.exists()):
            assert p.poll() is None, (tmp_path / "nsm.log").read_text()
            assert time.monotonic() < deadline, "NSM stand-in did not start"
            time.sleep(0.05)
        s = pipeline_server_factory('server = { attestation_device = "%s"; };'
                                    % sock, key_file=False)
        yield s, root
    finally:
        p.terminate()
        p.wait()


def test_expected_pcrs_verified_before_our_key_goes_out(attested, tmp_path):
    server, root = attested
    known = tmp_path / "known"
    with pc.connect(server.address, expect_pcrs={0: PCR0, 2: PCR2},
                    attestation_root=root, known_servers=known) as c:
        assert c.exec(["echo", "attested"]).stdout == b"attested\n"
        info = c.attestation_result
        assert info.pcrs[0].hex() == PCR0
        assert info.public_key == c.server_key
    assert not known.exists()  # attested servers need no known_servers entry
    key = pc.generate_keypair()
    wrong = hashlib.sha384(b"another image").hexdigest()
    with pytest.raises(pc.AttestationError) as ei:
        pc.connect(server.address, key, expect_pcrs={0: wrong},
                   attestation_root=root)
    assert "PCR0: expected %s, document has %s" % (wrong, PCR0) \
        in str(ei.value)
    # The built-in AWS root does not accept the test chain.
    with pytest.raises(pc.AttestationError):
        pc.connect(server.address, key, expect_pcrs={0: PCR0})
    assert pc.key_to_base64(pc.public_key(key)) not in server.log()


def test_plain_server_refused_when_pcrs_expected(pipeline_server):
    with pytest.raises(pc.AttestationError, match="no attestation document"):
        pc.connect(pipeline_server.address, expect_pcrs={0: PCR0})


def test_malformed_expectations_are_value_errors(pipeline_server):
    with pytest.raises(ValueError):
        pc.connect(pipeline_server.address, expect_pcrs={0: "abc"})
    with pytest.raises(ValueError):
        pc.connect(pipeline_server.address, expect_pcrs={0: b"short"})
