#!/usr/bin/python3
"""A Pipeline client built only from the protocol description.

It uses the generated protobuf module (gen/python/pipeline_pb2.py) and the
public Noise library `dissononce` (Debian: python3-dissononce), nothing from
the C code base. It exists to show that docs/PROTOCOL.md and
proto/pipeline.proto are enough to talk to a Pipeline server, and it doubles
as a tool for tests that need to say odd things on the wire.

Wire protocol, version 1, in short:
  * every message is a 2-byte big-endian length N (1..65535) and N bytes;
  * the client first sends the cleartext line
    b"pipeline/1 Noise_XX_25519_ChaChaPoly_SHA256", which is also the Noise
    prologue; a server that does not speak it answers b"error: ..." and closes;
  * Noise XX: -> e (empty payload); <- e, ee, s, es (Hello);
    -> s, se (Hello);
  * after that every message is one Noise transport message holding one
    pipeline.v1.Frame.

Run with /usr/bin/python3 (Debian's Python packages install for it):
  /usr/bin/python3 clients/python/pipeline_client.py --address unix:/x ping
"""

import argparse
import base64
import os
import select
import socket
import struct
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
_GEN = os.path.join(_HERE, "..", "..", "gen", "python")
if os.path.isdir(_GEN) and _GEN not in sys.path:
    sys.path.insert(0, _GEN)

import pipeline_pb2 as pb  # noqa: E402

from dissononce.cipher.chachapoly import ChaChaPolyCipher  # noqa: E402
from dissononce.dh.x25519.x25519 import X25519DH  # noqa: E402
from dissononce.dh.x25519.private import PrivateKey  # noqa: E402
from dissononce.exceptions.decrypt import DecryptFailedException  # noqa: E402
from dissononce.hash.sha256 import SHA256Hash  # noqa: E402
from dissononce.processing.handshakepatterns.interactive.XX import (  # noqa: E402
    XXHandshakePattern,
)
from dissononce.processing.impl.cipherstate import CipherState  # noqa: E402
from dissononce.processing.impl.handshakestate import HandshakeState  # noqa: E402
from dissononce.processing.impl.symmetricstate import SymmetricState  # noqa: E402

SOFTWARE = "pipeline-python 1.0.0"
NOISE_NAME = "Noise_XX_25519_ChaChaPoly_SHA256"
PROTOCOL_LINE = ("pipeline/1 " + NOISE_NAME).encode("ascii")
MAX_MSG = 65535
TAG_LEN = 16
MAX_FRAME = MAX_MSG - TAG_LEN
# Data payload that always fits a frame with its protobuf headers.
MAX_CHUNK = MAX_FRAME - 32


class PipelineError(Exception):
    """Connection, handshake or protocol failure (the C client exits 255)."""


class ProtocolRefused(PipelineError):
    """The server answered the protocol line with `error: ...`."""


class ServerKeyMismatch(PipelineError):
    """The server's static key is not the one we were told to expect."""

    def __init__(self, address, expected, received):
        self.expected = expected
        self.received = received
        super().__init__(
            "server key mismatch for %s: expected %s, received %s"
            % (address, key_to_base64(expected), key_to_base64(received)))


class RemoteStatus(PipelineError):
    """The server ended a call (or the connection) with a Status frame."""

    def __init__(self, status):
        self.code = status.code
        self.message = status.message
        name = pb.Code.Name(status.code) if status.code in pb.Code.values() \
            else str(status.code)
        super().__init__("%s: %s" % (name, status.message))


# ---- keys -----------------------------------------------------------------

def key_to_base64(key):
    return base64.b64encode(bytes(key)).decode("ascii")


def key_from_base64(text):
    text = text.strip().split()[0] if text.strip() else ""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ValueError("%r is not a key (expected 44 characters of base64)"
                         % text[:60])
    return raw


def generate_keypair():
    return X25519DH().generate_keypair()


def keypair_from_private(priv):
    return X25519DH().generate_keypair(PrivateKey(bytes(priv)))


def load_key_file(path, create=True):
    """Reads a WireGuard-style base64 private key (the C tool's format);
    creates one with mode 0600 when the file does not exist."""
    try:
        with open(path, "r") as f:
            return keypair_from_private(key_from_base64(f.read()))
    except FileNotFoundError:
        if not create:
            raise
    kp = generate_keypair()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key_to_base64(kp.private.data) + "\n")
    return kp


# ---- addresses ------------------------------------------------------------

def parse_address(text):
    """unix:PATH, tcp:HOST:PORT ([v6] allowed) or vsock:CID:PORT ->
    (family, sockaddr)."""
    if text.startswith("unix:") and len(text) > 5:
        return socket.AF_UNIX, text[5:]
    if text.startswith("tcp:"):
        host, sep, port = text[4:].rpartition(":")
        if sep and host and port.isdigit() and int(port) <= 65535:
            if host.startswith("[") and host.endswith("]"):
                host = host[1:-1]
            return None, (host, int(port))
    if text.startswith("vsock:"):
        cid, sep, port = text[6:].partition(":")
        if sep and cid.isdigit() and port.isdigit():
            return socket.AF_VSOCK, (int(cid), int(port))
    raise ValueError("address %s: expected vsock:CID:PORT, tcp:HOST:PORT or "
                     "unix:PATH" % text)


def open_socket(address, timeout=5.0):
    family, sa = parse_address(address)
    try:
        if family is None:
            sock = socket.create_connection(sa, timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(sa)
    except OSError as e:
        raise PipelineError("cannot connect to %s: %s"
                            % (address, e.strerror or e)) from None
    return sock


# ---- the connection -------------------------------------------------------

class Connection:
    """One secure connection. Calls run one after another on it.

    keypair: our static key (dissononce KeyPair); a fresh one when None.
    server_key: 32 bytes to pin; the handshake stops before we reveal our
    own key when the server presents another one.
    """

    def __init__(self, address, keypair=None, server_key=None, timeout=10.0):
        self.address = address
        self.keypair = keypair or generate_keypair()
        self.expected_server_key = server_key
        self.timeout = timeout
        self.sock = None
        self.server_key = None
        self.server_hello = None
        self.handshake_hash = None
        self._tx = self._rx = None
        self._inbuf = b""

    # -- framing --
    def _send_message(self, body):
        if not 1 <= len(body) <= MAX_MSG:
            raise PipelineError("message of %d bytes cannot be framed"
                                % len(body))
        self.sock.sendall(struct.pack(">H", len(body)) + bytes(body))

    def _read_exact(self, n):
        while len(self._inbuf) < n:
            try:
                chunk = self.sock.recv(max(65536, n - len(self._inbuf)))
            except socket.timeout:
                raise PipelineError("%s: no answer within %.1f s"
                                    % (self.address, self.timeout)) from None
            except ConnectionResetError:
                raise PipelineError("%s: connection reset by peer"
                                    % self.address) from None
            if not chunk:
                raise PipelineError("%s: connection closed by peer"
                                    % self.address)
            self._inbuf += chunk
        out, self._inbuf = self._inbuf[:n], self._inbuf[n:]
        return out

    def _recv_message(self):
        (n,) = struct.unpack(">H", self._read_exact(2))
        if n == 0:
            raise PipelineError("peer sent a zero-length message")
        return self._read_exact(n)

    # -- handshake --
    def connect(self):
        self.sock = open_socket(self.address, self.timeout)
        self.sock.settimeout(self.timeout)
        try:
            self._handshake()
        except BaseException:
            self.close()
            raise
        return self

    def _handshake(self):
        self._send_message(PROTOCOL_LINE)
        hs = HandshakeState(
            SymmetricState(CipherState(ChaChaPolyCipher()), SHA256Hash()),
            X25519DH())
        hs.initialize(XXHandshakePattern(), True, PROTOCOL_LINE,
                      s=self.keypair)
        if hs.protocol_name != NOISE_NAME:  # the prologue names the suite
            raise PipelineError("dissononce built %s" % hs.protocol_name)
        # -> e
        msg = bytearray()
        hs.write_message(b"", msg)
        self._send_message(msg)
        # <- e, ee, s, es + Hello
        msg = self._recv_message()
        if msg.startswith(b"error: "):
            raise ProtocolRefused("server refused the protocol: %s"
                                  % msg[7:].decode("utf-8", "replace"))
        payload = bytearray()
        try:
            hs.read_message(msg, payload)
        except (DecryptFailedException, ValueError) as e:
            raise PipelineError("the server's handshake message failed to "
                                "decrypt (%s)" % (e.__class__.__name__,)) \
                from None
        self.server_key = bytes(hs.rs.data)
        # Check the server's identity before revealing ours in message 3.
        if (self.expected_server_key is not None
                and bytes(self.expected_server_key) != self.server_key):
            raise ServerKeyMismatch(self.address, self.expected_server_key,
                                    self.server_key)
        self.server_hello = pb.Hello.FromString(bytes(payload))
        # -> s, se + Hello
        hello = pb.Hello(software=SOFTWARE, protocol_version=1,
                         features=["ping", "exec"])
        msg = bytearray()
        c1, c2 = hs.write_message(hello.SerializeToString(), msg)
        self._send_message(msg)
        # Split: the initiator sends with the first cipher state.
        self._tx, self._rx = c1, c2
        self.handshake_hash = hs.symmetricstate.get_handshake_hash()

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def __enter__(self):
        return self if self.sock else self.connect()

    def __exit__(self, *exc):
        self.close()

    # -- transport phase --
    def send_encrypted(self, plaintext):
        """Seals arbitrary bytes as one transport message (tests use it to
        send things that are not Frames)."""
        if len(plaintext) > MAX_FRAME:
            raise PipelineError("frame of %d bytes exceeds %d"
                                % (len(plaintext), MAX_FRAME))
        self._send_message(self._tx.encrypt_with_ad(b"", bytes(plaintext)))

    def send_raw(self, data):
        """Writes bytes on the socket as they are, outside any framing."""
        self.sock.sendall(bytes(data))

    def send_frame(self, frame):
        self.send_encrypted(frame.SerializeToString())

    def recv_frame(self):
        msg = self._recv_message()
        try:
            plain = self._rx.decrypt_with_ad(b"", msg)
        except DecryptFailedException:
            raise PipelineError("a message from the server failed "
                                "authentication") from None
        frame = pb.Frame()
        try:
            frame.ParseFromString(plain)
        except Exception:
            raise PipelineError("a message from the server is not a "
                                "valid Frame") from None
        return frame

    def expect(self, body):
        """Next frame, which must be `body`; a Status raises RemoteStatus."""
        f = self.recv_frame()
        kind = f.WhichOneof("body")
        if kind == "status" and body != "status":
            raise RemoteStatus(f.status)
        if kind != body:
            raise PipelineError("expected a %s frame, got %s" % (body, kind))
        return f

    # -- calls --
    def ping(self, payload=None):
        payload = os.urandom(16) if payload is None else bytes(payload)
        t0 = time.monotonic()
        self.send_frame(pb.Frame(ping=pb.PingRequest(payload=payload)))
        r = self.expect("ping_result").ping_result
        r_rtt = (time.monotonic() - t0) * 1e3
        if r.payload != payload:
            raise PipelineError("ping answer does not echo the request")
        return r, r_rtt

    def exec(self, argv=None, command=None, env=None, cwd=None, stdin=None,
             timeout_secs=0, on_output=None):
        """Runs a command; returns an ExecOutcome. stdin: bytes, a file
        object, or None (the command gets /dev/null). on_output(stream,
        data) is called as output arrives; otherwise output is collected.
        A Status from the server raises RemoteStatus."""
        req = pb.ExecRequest(
            argv=[a if isinstance(a, bytes) else os.fsencode(a)
                  for a in (argv or [])],
            command=(command if isinstance(command, bytes)
                     else (command or "").encode()),
            env=[e if isinstance(e, bytes) else os.fsencode(e)
                 for e in (env or [])],
            cwd=cwd if isinstance(cwd, bytes) else os.fsencode(cwd or ""),
            timeout_secs=timeout_secs,
            no_stdin=stdin is None)
        if not req.argv and not req.command:
            raise ValueError("exec needs argv or command")
        self.send_frame(pb.Frame(exec=req))
        out = ExecOutcome()
        source = _stdin_source(stdin)
        pending = b""       # sealed bytes not yet written
        stdin_done = source is None
        self.sock.setblocking(False)
        try:
            while True:
                if not pending and not stdin_done:
                    chunk = source(MAX_CHUNK)
                    if chunk:
                        frame = pb.Frame(data=pb.Data(
                            stream=pb.STREAM_STDIN, data=chunk))
                        out.stdin_bytes += len(chunk)
                    else:
                        frame = pb.Frame(end=pb.EndOfStream(
                            stream=pb.STREAM_STDIN,
                            total_length=out.stdin_bytes))
                        stdin_done = True
                    body = self._tx.encrypt_with_ad(
                        b"", frame.SerializeToString())
                    pending = struct.pack(">H", len(body)) + body
                # Keep reading while writing so neither side can block
                # the other with full buffers.
                rl, wl, _ = select.select([self.sock],
                                          [self.sock] if pending else [], [],
                                          self.timeout)
                if not rl and not wl:
                    raise PipelineError("%s: no answer within %.1f s"
                                        % (self.address, self.timeout))
                if wl:
                    try:
                        n = self.sock.send(pending)
                        pending = pending[n:]
                    except BlockingIOError:
                        pass
                    except (BrokenPipeError, ConnectionResetError):
                        # The server may have ended the call; read why.
                        pending, stdin_done = b"", True
                if rl:
                    try:
                        chunk = self.sock.recv(1 << 20)
                    except BlockingIOError:
                        chunk = None
                    except ConnectionResetError:
                        raise PipelineError("%s: connection reset by peer"
                                            % self.address) from None
                    if chunk == b"":
                        raise PipelineError("the server closed the "
                                            "connection without an answer")
                    if chunk:
                        self._inbuf += chunk
                    while self._complete_message():
                        f = self._recv_buffered()
                        if self._exec_frame(f, out, on_output):
                            return out
        finally:
            self.sock.setblocking(True)
            self.sock.settimeout(self.timeout)

    def _complete_message(self):
        if len(self._inbuf) < 2:
            return False
        (n,) = struct.unpack(">H", self._inbuf[:2])
        return len(self._inbuf) >= 2 + n

    def _recv_buffered(self):
        # _read_exact only touches the socket when the buffer is short.
        return self.recv_frame()

    @staticmethod
    def _exec_frame(f, out, on_output):
        kind = f.WhichOneof("body")
        if kind == "exec_started":
            out.pid = f.exec_started.pid
        elif kind == "data":
            name = {pb.STREAM_STDOUT: "stdout",
                    pb.STREAM_STDERR: "stderr"}.get(f.data.stream)
            if name is None:
                raise PipelineError("unexpected data on stream %d"
                                    % f.data.stream)
            if on_output:
                on_output(name, f.data.data)
            else:
                getattr(out, name).extend(f.data.data)
        elif kind == "end":
            pass  # end of stdout/stderr; the result follows
        elif kind == "exec_result":
            r = f.exec_result
            out.exit_code, out.signal = r.exit_code, r.signal
            out.timed_out, out.spawn_error = r.timed_out, r.spawn_error
            return True
        elif kind == "status":
            raise RemoteStatus(f.status)
        else:
            raise PipelineError("unexpected %s frame during exec" % kind)
        return False


def _stdin_source(stdin):
    if stdin is None:
        return None
    if isinstance(stdin, (bytes, bytearray, memoryview)):
        view = memoryview(bytes(stdin))
        pos = [0]

        def read(n):
            chunk = view[pos[0]:pos[0] + n].tobytes()
            pos[0] += len(chunk)
            return chunk
        return read
    raw = getattr(stdin, "buffer", stdin)
    return lambda n: raw.read(n) or b""


class ExecOutcome:
    def __init__(self):
        self.pid = 0
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.exit_code = None
        self.signal = 0
        self.timed_out = False
        self.spawn_error = ""
        self.stdin_bytes = 0

    @property
    def status(self):
        """Shell-style status: exit code, or 128+N for signal N."""
        return 128 + self.signal if self.signal else self.exit_code


def connect(address, keypair=None, server_key=None, timeout=10.0):
    return Connection(address, keypair, server_key, timeout).connect()


# ---- command line ---------------------------------------------------------

def _printable(data):
    try:
        text = data.decode("ascii")
        if text.isprintable():
            return text
    except UnicodeDecodeError:
        pass
    return "hex:" + data.hex()


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="pipeline_client.py",
        description="A Pipeline client built from gen/python and dissononce.")
    p.add_argument("--address", help="unix:PATH, tcp:HOST:PORT or "
                   "vsock:CID:PORT")
    p.add_argument("--key-file", help="this client's private key (base64; "
                   "created with mode 0600 when missing); default: a new "
                   "key for this run")
    p.add_argument("--server-key", help="expect this server public key "
                   "(base64)")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds to wait for the server (default 10)")
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("ping", help="handshake, ping, print what the "
                        "server says")
    sp.add_argument("--payload", default=None, help="text to echo")
    sub.add_parser("pubkey", help="print this client's public key")
    se = sub.add_parser("exec", help="run a command on the server")
    se.add_argument("--command", help="run through the server's shell")
    se.add_argument("-n", action="store_true", help="no stdin")
    se.add_argument("argv", nargs="*", help="program and arguments")
    args = p.parse_args(argv)

    try:
        kp = load_key_file(args.key_file) if args.key_file \
            else generate_keypair()
        pin = key_from_base64(args.server_key) if args.server_key else None
    except (OSError, ValueError) as e:
        print("pipeline_client: %s" % e, file=sys.stderr)
        return 2
    if args.cmd == "pubkey":
        print(key_to_base64(kp.public.data))
        return 0
    if not args.address:
        print("pipeline_client: --address is required", file=sys.stderr)
        return 2
    try:
        with connect(args.address, kp, pin, args.timeout) as c:
            if args.cmd == "ping":
                payload = args.payload.encode() if args.payload is not None \
                    else None
                r, rtt = c.ping(payload)
                print("payload: %s" % _printable(r.payload))
                print("software: %s" % r.software)
                print("server key: %s" % key_to_base64(c.server_key))
                print("server hello: %s, protocol %d, features %s"
                      % (c.server_hello.software,
                         c.server_hello.protocol_version,
                         ",".join(c.server_hello.features)))
                print("server time: %d ns (%s UTC)"
                      % (r.server_time_unix_ns, time.strftime(
                          "%Y-%m-%dT%H:%M:%S",
                          time.gmtime(r.server_time_unix_ns / 1e9))))
                print("client key: %s" % key_to_base64(kp.public.data))
                print("rtt: %.3f ms" % rtt)
                return 0
            # exec
            if not args.command and not args.argv:
                print("pipeline_client: exec: give --command or a program",
                      file=sys.stderr)
                return 2

            def show(stream, data):
                f = sys.stdout if stream == "stdout" else sys.stderr
                f.buffer.write(data)
                f.buffer.flush()
            o = c.exec(argv=args.argv, command=args.command,
                       stdin=None if args.n else sys.stdin, on_output=show)
            if o.spawn_error:
                print("pipeline_client: exec: %s" % o.spawn_error,
                      file=sys.stderr)
            return o.status
    except RemoteStatus as e:
        print("pipeline_client: %s: %s" % (args.cmd, e), file=sys.stderr)
        return 255
    except PipelineError as e:
        print("pipeline_client: %s: %s" % (args.cmd, e), file=sys.stderr)
        return 255
    except OSError as e:
        print("pipeline_client: %s: %s" % (args.cmd, e), file=sys.stderr)
        return 255


if __name__ == "__main__":
    sys.exit(main())
