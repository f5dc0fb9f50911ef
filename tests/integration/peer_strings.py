#!/usr/bin/python3
"""Peer bytes that must never leak raw: helpers for test_peer_strings.sh.

Usage:
  peer_strings.py quiet-sockets ADDRESS -- CMD...
      opens two raw connections that say nothing, runs CMD, then reads both
      until the server drops them: they must receive nothing at all (a
      server started with fds 0-2 closed used to log into them).
  peer_strings.py strict-utf8 ADDRESS
      sends requests whose argv, env, cwd and paths hold invalid UTF-8 and
      control bytes; every answer must parse with the strict (C++) protobuf
      decoder, and the connection must go on.
  peer_strings.py forged-log ADDRESS
      a Hello.software and argv, env, cwd and paths holding newlines and
      ESC, to forge log lines (the caller checks the server log).
  peer_strings.py evil-server MODE SOCKET_PATH KEYFILE
      a malicious server on a unix socket (one connection, then exit):
      MODE error-N answers the protocol line with an `error: ` message of N
      bytes; status, spawn, dir and ping answer the first call with escape
      sequences in Status.message, ExecResult.spawn_error, a DirEntry name,
      and Hello/PingResult.software.
Prints "OK ..." and exits 0, or "FAIL ..." and exits 1.
"""
import os
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))
import pipeline_client as pc  # noqa: E402

from dissononce.cipher.chachapoly import ChaChaPolyCipher  # noqa: E402
from dissononce.dh.x25519.x25519 import X25519DH  # noqa: E402
from dissononce.hash.sha256 import SHA256Hash  # noqa: E402
from dissononce.processing.handshakepatterns.interactive.XX import (  # noqa: E402
    XXHandshakePattern,
)
from dissononce.processing.impl.cipherstate import CipherState  # noqa: E402
from dissononce.processing.impl.handshakestate import HandshakeState  # noqa: E402
from dissononce.processing.impl.symmetricstate import SymmetricState  # noqa: E402

pb = pc.pb
# What a terminal would act on: OSC set-title, clear screen, bell, C1 CSI.
EVIL = "\x1b]0;owned\x07\x1b[2J\r\nFORGED \u009b31m"


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def framed(body):
    return struct.pack(">H", len(body)) + body


# ---- fds 0-2 --------------------------------------------------------------

def quiet_sockets(address, cmd):
    socks = [pc.open_socket(address, timeout=10.0) for _ in range(2)]
    time.sleep(0.2)  # let the server accept both before CMD connects
    rc = subprocess.call(cmd)
    got = []
    for s in socks:
        data = b""
        s.settimeout(10.0)
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        got.append(data)
    if any(got):
        fail("raw connections received %r" % [g[:200] for g in got])
    if rc != 0:
        fail("the command exited %d" % rc)
    print("OK two silent connections received nothing")


# ---- strict UTF-8 ---------------------------------------------------------

BAD = b"\xff\xfe\xc0\xaf\xed\xa0\x80" + EVIL.encode()


def one_call(address, frame, want):
    """Sends frame on a fresh connection; the answer must parse strictly
    and be `want`; then a ping must work on the same connection."""
    with pc.connect(address, timeout=10.0) as c:
        c.send_frame(frame)
        while True:
            f = c.recv_frame()  # raises on invalid UTF-8 (strict decoder)
            kind = f.WhichOneof("body")
            if kind in ("exec_started", "data", "end"):
                continue
            break
        if kind != want:
            fail("expected %s, got %s: %s" % (want, kind, f))
        text = f.status.message if kind == "status" else \
            f.exec_result.spawn_error
        if "\x1b" in text or "\n" in text or "\x9b" in text:
            fail("control characters in %s: %r" % (kind, text))
        c.ping()
        return text


def strict_utf8(address):
    cases = [
        ("spawn error (argv[0])",
         pb.Frame(exec=pb.ExecRequest(argv=[b"/nonexistent/" + BAD],
                                      no_stdin=True)), "exec_result"),
        ("spawn error (cwd)",
         pb.Frame(exec=pb.ExecRequest(argv=[b"true"],
                                      cwd=b"/nonexistent/" + BAD,
                                      no_stdin=True)), "exec_result"),
        ("env refusal",
         pb.Frame(exec=pb.ExecRequest(argv=[b"true"], env=[BAD],
                                      no_stdin=True)), "status"),
        ("get-file refusal",
         pb.Frame(get_file=pb.GetFileRequest(path=b"/nonexistent/" + BAD)),
         "status"),
        ("get-dir refusal",
         pb.Frame(get_dir=pb.GetDirRequest(path=b"/nonexistent/" + BAD)),
         "status"),
    ]
    for what, frame, want in cases:
        text = one_call(address, frame, want)
        if "\\x" not in text:
            fail("%s: the bad bytes are not shown escaped: %r" % (what, text))
        print("OK %s: %r" % (what, text))


# ---- log injection --------------------------------------------------------

def forged_log(address):
    nl = b"\nFORGED line \x1b[31m"
    pc.SOFTWARE = "evil 1.0" + nl.decode()
    with pc.connect(address, timeout=10.0) as c:
        c.ping()
    for frame in (
            pb.Frame(exec=pb.ExecRequest(argv=[b"/nonexistent" + nl],
                                         no_stdin=True)),
            pb.Frame(exec=pb.ExecRequest(argv=[b"true"], env=[nl],
                                         no_stdin=True)),
            pb.Frame(exec=pb.ExecRequest(argv=[b"true"], cwd=nl,
                                         no_stdin=True)),
            pb.Frame(exec=pb.ExecRequest(argv=[b"true", nl], no_stdin=True)),
            pb.Frame(get_file=pb.GetFileRequest(path=b"/nonexistent" + nl)),
            pb.Frame(get_dir=pb.GetDirRequest(path=b"/nonexistent" + nl))):
        with pc.connect(address, timeout=10.0) as c:
            c.send_frame(frame)
            kind = None
            while kind not in ("exec_result", "status", "transfer_result"):
                kind = c.recv_frame().WhichOneof("body")
    print("OK forged-log requests sent")


# ---- a malicious server ---------------------------------------------------

class EvilServer:
    def __init__(self, path, keyfile):
        self.kp = pc.load_key_file(keyfile)
        if os.path.exists(path):
            os.unlink(path)
        self.ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.ls.bind(path)
        self.ls.listen(4)
        self.ls.settimeout(30.0)
        self.buf = b""

    def accept(self):
        self.s, _ = self.ls.accept()
        self.s.settimeout(30.0)

    def recv_msg(self):
        while True:
            if len(self.buf) >= 2:
                (n,) = struct.unpack(">H", self.buf[:2])
                if len(self.buf) >= 2 + n:
                    m, self.buf = self.buf[2:2 + n], self.buf[2 + n:]
                    return m
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def send_msg(self, body):
        self.s.sendall(framed(bytes(body)))

    def handshake(self, software):
        line = self.recv_msg()
        hs = HandshakeState(
            SymmetricState(CipherState(ChaChaPolyCipher()), SHA256Hash()),
            X25519DH())
        hs.initialize(XXHandshakePattern(), False, line, s=self.kp)
        hs.read_message(self.recv_msg(), bytearray())
        msg = bytearray()
        hello = pb.Hello(software=software, protocol_version=1,
                         features=["ping", "exec", "get-dir"])
        hs.write_message(hello.SerializeToString(), msg)
        self.send_msg(msg)
        c1, c2 = hs.read_message(self.recv_msg(), bytearray())
        self.rx, self.tx = c1, c2

    def recv_frame(self):
        f = pb.Frame()
        f.ParseFromString(self.rx.decrypt_with_ad(b"", self.recv_msg()))
        return f

    def send_frame(self, f):
        self.send_msg(self.tx.encrypt_with_ad(b"", f.SerializeToString()))

    def linger(self):
        # Let the client read everything before we go.
        self.s.shutdown(socket.SHUT_WR)
        try:
            while self.s.recv(65536):
                pass
        except OSError:
            pass


def evil_server(mode, path, keyfile):
    srv = EvilServer(path, keyfile)
    print("READY", flush=True)
    srv.accept()
    if mode.startswith("error-"):
        n = int(mode[6:])
        srv.recv_msg()
        srv.recv_msg()
        body = b"error: " + b"A" * (n - 7)
        srv.send_msg(body)
        srv.linger()
        return
    srv.handshake("evil " + EVIL if mode == "ping" else "evil 1.0")
    req = srv.recv_frame()
    kind = req.WhichOneof("body")
    if mode == "status":
        srv.send_frame(pb.Frame(status=pb.Status(
            code=pb.CODE_NOT_FOUND, message="gone " + EVIL)))
    elif mode == "spawn":
        srv.send_frame(pb.Frame(exec_result=pb.ExecResult(
            exit_code=127, spawn_error="cannot run " + EVIL)))
    elif mode == "dir":
        srv.send_frame(pb.Frame(dir_entry=pb.DirEntry(
            name=("odd" + EVIL).encode(), type=pb.ENTRY_UNSPECIFIED)))
        srv.send_frame(pb.Frame(end=pb.EndOfStream(stream=pb.STREAM_DIR,
                                                   total_length=1)))
        srv.send_frame(pb.Frame(transfer_result=pb.TransferResult(
            entries=1)))
    elif mode == "ping" and kind == "ping":
        srv.send_frame(pb.Frame(ping_result=pb.PingResult(
            payload=req.ping.payload, software="evil " + EVIL)))
    else:
        fail("unexpected %s request for mode %s" % (kind, mode))
    srv.linger()


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) >= 4 and a[0] == "quiet-sockets" and a[2] == "--":
        quiet_sockets(a[1], a[3:])
    elif len(a) == 2 and a[0] == "strict-utf8":
        strict_utf8(a[1])
    elif len(a) == 2 and a[0] == "forged-log":
        forged_log(a[1])
    elif len(a) == 4 and a[0] == "evil-server":
        evil_server(a[1], a[2], a[3])
    else:
        print(__doc__)
        sys.exit(2)
