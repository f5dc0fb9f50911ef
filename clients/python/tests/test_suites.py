"""Noise suites: AESGCM by default, ChaChaPoly on request, and one retry
with ChaChaPoly when a server refuses AESGCM with its `error:` line."""
import os
import socket
import struct
import threading

import pytest

import pipeline_client as pc

AESGCM_LINE = b"pipeline/1 Noise_XX_25519_AESGCM_SHA256"
CHACHA_LINE = b"pipeline/1 Noise_XX_25519_ChaChaPoly_SHA256"


def last_suite(server):
    lines = [ln for ln in server.log().splitlines() if "connected:" in ln]
    return lines[-1].rsplit(", ", 1)[-1]


def test_default_suite_is_aesgcm(pipeline_server):
    with pipeline_server.connect() as c:
        c.ping()
        assert c.noise_name == "Noise_XX_25519_AESGCM_SHA256"
    assert last_suite(pipeline_server) == "AESGCM"


@pytest.mark.parametrize("name,wire", [("chachapoly", "ChaChaPoly"),
                                       ("AESGCM", "AESGCM")])
def test_chosen_suite(pipeline_server, name, wire):
    blob = os.urandom(200000)
    with pipeline_server.connect(cipher=name) as c:
        assert c.exec(["cat"], stdin=blob).stdout == blob
        assert c.noise_name == "Noise_XX_25519_%s_SHA256" % wire
    assert last_suite(pipeline_server) == wire


def test_unknown_suite_is_a_value_error():
    with pytest.raises(ValueError):
        pc.Client("unix:/nonexistent", cipher="rot13")


class ChaChaOnly:
    """Stands in for a server without AESGCM: records each client's line,
    refuses anything but ChaChaPoly with an `error:` line, and relays
    ChaChaPoly connections to the real server."""

    def __init__(self, directory, upstream):
        self.path = os.path.join(directory, "chacha-only.sock")
        self.upstream = upstream
        self.lines = []
        self.ls = socket.socket(socket.AF_UNIX)
        self.ls.bind(self.path)
        self.ls.listen(4)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.ls.accept()
            except OSError:
                return
            threading.Thread(target=self.one, args=(conn,),
                             daemon=True).start()

    def one(self, conn):
        (n,) = struct.unpack(">H", conn.recv(2, socket.MSG_WAITALL))
        line = conn.recv(n, socket.MSG_WAITALL)
        self.lines.append(line)
        if line != CHACHA_LINE:
            msg = b'error: unsupported protocol; this server speaks "%s"' % \
                CHACHA_LINE
            conn.sendall(struct.pack(">H", len(msg)) + msg)
            conn.shutdown(socket.SHUT_WR)
            while conn.recv(4096):
                pass
            conn.close()
            return
        up = socket.socket(socket.AF_UNIX)
        up.connect(self.upstream)
        up.sendall(struct.pack(">H", n) + line)

        def pump(a, b):
            try:
                while True:
                    d = a.recv(65536)
                    if not d:
                        break
                    b.sendall(d)
            except OSError:
                pass
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        threading.Thread(target=pump, args=(up, conn), daemon=True).start()
        pump(conn, up)

    def close(self):
        self.ls.close()


@pytest.fixture
def chacha_only(pipeline_server, tmp_path):
    p = ChaChaOnly(str(tmp_path), pipeline_server.socket_path)
    yield p
    p.close()


def test_default_falls_back_to_chachapoly_once(pipeline_server, chacha_only):
    with pc.connect("unix:" + chacha_only.path, pipeline_server.client_key_file,
                    server_key=pipeline_server.server_key, timeout=10) as c:
        assert c.ping().payload
        assert c.noise_name == pc.NOISE_NAME
    assert chacha_only.lines == [AESGCM_LINE, CHACHA_LINE]


def test_chosen_suite_never_falls_back(pipeline_server, chacha_only):
    with pytest.raises(pc.ProtocolRefused) as ei:
        pc.connect("unix:" + chacha_only.path, server_key=pipeline_server.
                   server_key, timeout=10, cipher="aesgcm")
    assert "unsupported protocol" in str(ei.value)
    assert chacha_only.lines == [AESGCM_LINE]
