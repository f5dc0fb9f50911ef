"""Connecting: the handshake against the C server, key checks, failures."""
import os

import pytest

import pipeline_client as pc


def test_ping_echoes_and_reports_server(pipeline_server, pipeline_client):
    r = pipeline_client.ping(b"\x00\xffbinary")
    assert r.payload == b"\x00\xffbinary"
    assert r.software.startswith("pipeline ")
    assert r.rtt_ms > 0
    assert pipeline_client.server_key == pipeline_server.server_key
    assert pipeline_client.server_hello.protocol_version == 1
    assert "exec" in pipeline_client.server_hello.features
    # The server logged our Hello and key.
    pub = pc.key_to_base64(pipeline_client.public_key)
    assert "client key %s, pipeline-python %s" % (pub, pc.__version__) \
        in pipeline_server.log()


def test_several_calls_on_one_connection(pipeline_client):
    blob = bytes(range(256)) * 100
    for _ in range(3):
        assert pipeline_client.ping(blob).payload == blob


def test_pinned_key_mismatch_stops_before_revealing_ours(pipeline_server):
    other = pc.public_key(pc.generate_keypair())
    key = pc.generate_keypair()
    with pytest.raises(pc.ServerKeyMismatch) as ei:
        pc.connect(pipeline_server.address, key, server_key=other)
    msg = str(ei.value)
    assert "expected %s, received %s" % (
        pc.key_to_base64(other),
        pc.key_to_base64(pipeline_server.server_key)) in msg
    assert ei.value.received == pipeline_server.server_key
    # Message 3 never went out: the server never saw our key.
    assert pc.key_to_base64(pc.public_key(key)) not in pipeline_server.log()


def test_server_key_as_base64(pipeline_server):
    b64 = pc.key_to_base64(pipeline_server.server_key)
    with pc.connect(pipeline_server.address, server_key=b64) as c:
        c.ping()


def test_known_servers_records_then_refuses_a_change(pipeline_server_factory,
                                                     tmp_path):
    known = tmp_path / "cfg" / "known_servers"
    s1 = pipeline_server_factory()
    with pc.connect(s1.address, known_servers=known) as c:
        assert c.recorded_key
    text = known.read_text()
    assert text == "%s %s\n" % (s1.address, pc.key_to_base64(s1.server_key))
    assert (known.stat().st_mode & 0o777) == 0o600
    with pc.connect(s1.address, known_servers=known) as c:
        assert not c.recorded_key
        c.ping()
    # Another server (another key) at the recorded address.
    addr = s1.address
    s1.stop()
    s2 = pipeline_server_factory()
    os.rename(s2.socket_path, s1.socket_path)
    with pytest.raises(pc.ServerKeyMismatch) as ei:
        pc.connect(addr, known_servers=known)
    assert "presented key %s" % pc.key_to_base64(s2.server_key) \
        in str(ei.value)
    assert "records %s" % pc.key_to_base64(s1.server_key) in str(ei.value)
    assert known.read_text() == text


def test_unauthorized_client_gets_unauthenticated(pipeline_server_factory,
                                                  tmp_path):
    auth = tmp_path / "authorized"
    listed = pc.generate_keypair()
    auth.write_text(pc.key_to_base64(pc.public_key(listed)) + " listed\n")
    s = pipeline_server_factory('server = { authorized_keys = "%s"; };'
                                % auth)
    with pc.connect(s.address, listed, server_key=s.server_key) as c:
        c.ping()
    stranger = pc.generate_keypair()
    with pc.connect(s.address, stranger, server_key=s.server_key) as c:
        with pytest.raises(pc.RemoteError) as ei:
            c.ping()
    assert ei.value.code == pc.pb.CODE_UNAUTHENTICATED == 16
    assert ei.value.name == "UNAUTHENTICATED"
    assert "not authorized" in ei.value.message


def test_connect_failures_are_connect_errors(tmp_path):
    with pytest.raises(pc.ConnectError) as ei:
        pc.connect("unix:%s/none.sock" % tmp_path)
    assert "cannot connect to unix:" in str(ei.value)
    with pytest.raises(ValueError):
        pc.connect("nowhere:1")


def test_key_file_roundtrip_and_permissions(tmp_path):
    path = tmp_path / "k" / "client.key"
    kp = pc.load_key_file(path)
    assert (path.stat().st_mode & 0o777) == 0o600
    assert pc.public_key(pc.load_key_file(path)) == pc.public_key(kp)
    path.chmod(0o644)
    with pytest.raises(ValueError, match="readable by others"):
        pc.load_key_file(path)
    path.chmod(0o600)
    path.write_text("not a key\n")
    with pytest.raises(ValueError, match="does not hold a base64"):
        pc.load_key_file(path)


def test_c_tool_reads_python_keys(pipeline_bin, tmp_path):
    import subprocess
    path = tmp_path / "py.key"
    kp = pc.load_key_file(path)
    out = subprocess.run([pipeline_bin, "pubkey", "--key-file", str(path)],
                         check=True, capture_output=True, text=True).stdout
    assert out.strip() == pc.key_to_base64(pc.public_key(kp))


def _pub_of(path):
    return pc.key_to_base64(pc.public_key(pc.load_key_file(path)))


def test_concurrent_first_use_of_a_key_file_agrees(tmp_path):
    # Ansible's forks create the client key at once: all must read one key.
    import multiprocessing
    path = str(tmp_path / "shared.key")
    with multiprocessing.get_context("fork").Pool(6) as p:
        keys = p.map(_pub_of, [path] * 24)
    assert len(set(keys)) == 1
    assert os.listdir(tmp_path) == ["shared.key"]


def test_user_path_follows_xdg(monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", "/cfg")
    assert pc.user_path("client.key") == "/cfg/pipeline/client.key"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative")  # ignored, as in C
    monkeypatch.setenv("HOME", "/home/u")
    assert pc.user_path("known_servers") == "/home/u/.config/pipeline/known_servers"
