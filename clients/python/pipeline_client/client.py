"""The connection: transport, Noise XX handshake, encrypted frames, and one
method per call (the C library's pl_client_* functions).

Wire protocol, version 1 (docs/PROTOCOL.md), in short: every message is a
2-byte big-endian length N (1..65535) and N bytes; the client first sends
the cleartext line b"pipeline/1 " + the Noise protocol name (the AESGCM or
the ChaChaPoly suite), which is also the Noise prologue; then Noise XX (-> e; <- e, ee, s, es + Hello;
-> s, se + Hello); after that every message is one Noise transport message
holding one pipeline.v1.Frame.
"""

import os
import select
import socket
import struct
import sys
import time
from dataclasses import dataclass
from typing import (Any, BinaryIO, Callable, Iterable, List, Mapping,
                    Optional, Sequence, Tuple, Union)

from dissononce.cipher.aesgcm import AESGCMCipher
from dissononce.cipher.chachapoly import ChaChaPolyCipher
from dissononce.dh.x25519.x25519 import X25519DH
from dissononce.exceptions.decrypt import DecryptFailedException
from dissononce.hash.sha256 import SHA256Hash
from dissononce.processing.handshakepatterns.interactive.XX import \
    XXHandshakePattern
from dissononce.processing.impl.cipherstate import CipherState
from dissononce.processing.impl.handshakestate import HandshakeState
from dissononce.processing.impl.symmetricstate import SymmetricState

from . import pipeline_pb2 as pb
from . import _version
from .address import open_socket
from .errors import (AttestationError, ConnectError, HandshakeError,
                     PipelineError, ProtocolRefused, RemoteError,
                     ServerKeyMismatch)
from .keys import (KeyPair, PathLike, check_known_server, generate_keypair,
                   key_from_base64, key_to_base64, keypair_from_private,
                   load_key_file)

SOFTWARE = "pipeline-python " + _version.__version__
NOISE_NAME = "Noise_XX_25519_ChaChaPoly_SHA256"  # the suite every server has
PROTOCOL_LINE = ("pipeline/1 " + NOISE_NAME).encode("ascii")
# The suites, by the names --cipher takes: (Noise protocol name, cipher).
SUITES = {
    "aesgcm": ("Noise_XX_25519_AESGCM_SHA256", AESGCMCipher),
    "chachapoly": (NOISE_NAME, ChaChaPolyCipher),
}
# With no cipher chosen: AESGCM (as the C client), then ChaChaPoly once
# when the server answers that it does not offer AESGCM.
DEFAULT_SUITES = ("aesgcm", "chachapoly")
MAX_MSG = 65535
TAG_LEN = 16
MAX_FRAME = MAX_MSG - TAG_LEN
# Data payload that always fits a frame with its protobuf headers
# (PL_CHUNK_MAX in the C code).
MAX_CHUNK = 65487
# The calls, and "mtime": the file calls understand FileTime fields.
FEATURES = ["ping", "exec", "put-file", "get-file", "put-dir", "get-dir",
            "mtime"]

KeySpec = Union[None, KeyPair, bytes, PathLike]
ServerKeySpec = Union[None, bytes, str]


@dataclass
class PingResult:
    """What a ping returns: the echoed payload, the server's software
    string and clock, and the round trip in milliseconds."""
    payload: bytes
    software: str
    server_time_ns: int
    rtt_ms: float


def _as_keypair(key: KeySpec) -> KeyPair:
    if key is None:
        return generate_keypair()
    if isinstance(key, KeyPair):
        return key
    if isinstance(key, (bytes, bytearray)) and len(key) == 32:
        return keypair_from_private(bytes(key))
    return load_key_file(key)  # a path


def _as_server_key(key: ServerKeySpec) -> Optional[bytes]:
    if key is None:
        return None
    if isinstance(key, (bytes, bytearray)):
        if len(key) != 32:
            raise ValueError("server_key: expected 32 bytes, got %d"
                             % len(key))
        return bytes(key)
    return key_from_base64(key)


def _expectations(pcrs: Mapping[int, Union[str, bytes]],
                  root: Optional[PathLike], allow_debug: bool,
                  max_age: Optional[float]) -> Any:
    """attestation.Expectations from connect()'s arguments; ValueError
    for a malformed PCR or root certificate."""
    from . import attestation as at
    want = {}
    for idx, val in dict(pcrs).items():
        if isinstance(val, str):
            idx, raw = at.parse_pcr("%s=%s" % (idx, val))
        else:
            raw = bytes(val)
            if len(raw) != at.PCR_LEN:
                raise ValueError("PCR%s: expected %d bytes (SHA-384), got %d"
                                 % (idx, at.PCR_LEN, len(raw)))
        want[int(idx)] = raw
    root_der = at.load_root(os.path.expanduser(os.fsdecode(root))) \
        if root is not None else None
    return at.Expectations(pcrs=want, root_der=root_der,
                           allow_debug=allow_debug,
                           max_age_s=int(max_age) if max_age else None)


class Client:
    """One secure connection to a Pipeline server. Calls run one after
    another on it; use connect() to make one, and `with` to close it.

    Attributes after the handshake: server_key (32 bytes), server_hello
    (pipeline_pb2.Hello), handshake_hash, recorded_key (True when the key
    went into known_servers on this first contact).
    """

    def __init__(self, address: str, key: KeySpec = None, *,
                 server_key: ServerKeySpec = None,
                 known_servers: Optional[PathLike] = None,
                 connect_timeout: float = 5.0,
                 io_timeout: Optional[float] = None,
                 expect_pcrs: Optional[Mapping[int, Union[str, bytes]]] = None,
                 attestation_root: Optional[PathLike] = None,
                 allow_debug: bool = False,
                 max_age: Optional[float] = None,
                 cipher: Optional[str] = None):
        if cipher is not None and cipher.lower() not in SUITES:
            raise ValueError("cipher: %r is not one of %s"
                             % (cipher, ", ".join(sorted(SUITES))))
        self.cipher = cipher.lower() if cipher else None
        self.noise_name: Optional[str] = None  # the suite in use
        self.address = address
        self.keypair = _as_keypair(key)
        self.expected_server_key = _as_server_key(server_key)
        self.known_servers = known_servers
        self.connect_timeout = connect_timeout
        self.io_timeout = io_timeout
        self.attestation = expect_pcrs is not None
        self._expectations = None
        if self.attestation:
            self._expectations = _expectations(expect_pcrs, attestation_root,
                                               allow_debug, max_age)
        self.sock: Optional[socket.socket] = None
        self.server_key: Optional[bytes] = None
        self.server_hello: Optional[pb.Hello] = None
        self.handshake_hash: Optional[bytes] = None
        self.recorded_key = False
        self.software: Optional[str] = None
        self.attestation_result: Any = None
        self._tx = self._rx = None
        self._inbuf = bytearray()
        self._broken: Optional[str] = None
        self._signals: List[int] = []
        self._resizes: List[Tuple[int, int]] = []  # exec(tty=...) window changes
        self._wake_r = self._wake_w = -1

    # ---- lifecycle ----------------------------------------------------

    @property
    def public_key(self) -> bytes:
        """This client's static public key (32 bytes)."""
        return bytes(self.keypair.public.data)

    @property
    def connected(self) -> bool:
        return self.sock is not None and self._broken is None

    def connect(self) -> "Client":
        """Opens the transport and runs the handshake (idempotent)."""
        if self.sock is not None:
            return self
        suites = (self.cipher,) if self.cipher else DEFAULT_SUITES
        for i, suite in enumerate(suites):
            self.sock = open_socket(self.address, self.connect_timeout)
            self._inbuf = bytearray()
            self._broken = None
            try:
                self.sock.settimeout(self.connect_timeout)
                self._handshake(suite)
                self.sock.settimeout(self.io_timeout)
                return self
            except ProtocolRefused:
                self.close()
                if i + 1 == len(suites):
                    raise
            except BaseException:
                self.close()
                raise
        return self

    def close(self) -> None:
        """Closes the connection; the server stops anything still running
        for it. Safe to call twice."""
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._wake_r = self._wake_w = -1

    def __enter__(self) -> "Client":
        return self.connect()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "connected" if self.connected else "closed"
        return "<pipeline_client.Client %s %s>" % (self.address, state)

    # ---- framing --------------------------------------------------------

    def _io_error(self, what: str) -> ConnectError:
        self._broken = what
        return ConnectError("%s: %s" % (self.address, what))

    def _send_message(self, body: bytes) -> None:
        if not 1 <= len(body) <= MAX_MSG:
            raise PipelineError("message of %d bytes cannot be framed"
                                % len(body))
        self._sendall(struct.pack(">H", len(body)) + bytes(body))

    def _sendall(self, data: bytes) -> None:
        if self.sock is None:
            raise PipelineError("%s: the connection is closed" % self.address)
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise self._io_error("the server stopped reading") from None
        except (BrokenPipeError, ConnectionResetError):
            raise self._io_error("connection closed by peer") from None

    def _buffered_message(self) -> Optional[bytes]:
        """The next complete message in the receive buffer, or None."""
        buf = self._inbuf
        if len(buf) < 2:
            return None
        n = (buf[0] << 8) | buf[1]
        if n == 0:
            raise self._io_error("the server sent a zero-length message")
        if len(buf) < 2 + n:
            return None
        msg = bytes(buf[2:2 + n])
        del buf[:2 + n]
        return msg

    def _fill(self) -> None:
        """One receive into the buffer; blocks per the socket's timeout."""
        if self.sock is None:
            raise PipelineError("%s: the connection is closed" % self.address)
        try:
            chunk = self.sock.recv(1 << 18)
        except socket.timeout:
            raise self._io_error("no answer within %.1f s"
                                 % (self.sock.gettimeout() or 0)) from None
        except BlockingIOError:
            return
        except ConnectionResetError:
            raise self._io_error("connection reset by peer") from None
        if not chunk:
            raise self._io_error("connection closed by peer")
        self._inbuf += chunk

    def _recv_message(self) -> bytes:
        while True:
            msg = self._buffered_message()
            if msg is not None:
                return msg
            self._fill()

    # ---- handshake ------------------------------------------------------

    def _handshake(self, suite: str = "chachapoly") -> None:
        name, cipher = SUITES[suite]
        line = ("pipeline/1 " + name).encode("ascii")
        self._send_message(line)
        hs = HandshakeState(
            SymmetricState(CipherState(cipher()), SHA256Hash()), X25519DH())
        hs.initialize(XXHandshakePattern(), True, line, s=self.keypair)
        if hs.protocol_name != name:  # the prologue names the suite
            raise HandshakeError("dissononce built %s" % hs.protocol_name)
        msg = bytearray()
        hs.write_message(b"", msg)  # -> e
        self._send_message(bytes(msg))
        msg2 = self._recv_message()  # <- e, ee, s, es + Hello
        if msg2.startswith(b"error: "):
            raise ProtocolRefused("server refused the connection: %s"
                                  % msg2[7:].decode("utf-8", "replace"))
        payload = bytearray()
        try:
            hs.read_message(msg2, payload)
        except (DecryptFailedException, ValueError) as e:
            raise HandshakeError("the server's handshake message failed to "
                                 "decrypt (%s)" % e.__class__.__name__) \
                from None
        self.server_key = bytes(hs.rs.data)
        try:
            self.server_hello = pb.Hello.FromString(bytes(payload))
        except Exception:
            raise HandshakeError("the server's Hello does not parse") \
                from None
        # The server's identity is checked before ours goes out in message 3.
        self._check_server()
        hello = pb.Hello(software=self._software(), protocol_version=1,
                         features=FEATURES)
        msg = bytearray()
        c1, c2 = hs.write_message(hello.SerializeToString(), msg)
        self._send_message(bytes(msg))  # -> s, se + Hello
        self._tx, self._rx = c1, c2  # the initiator sends with c1
        self.noise_name = name
        self.handshake_hash = hs.symmetricstate.get_handshake_hash()

    def _software(self) -> str:
        """The software string of our Hello: the instance's `software`
        attribute when set, else pipeline_client.SOFTWARE (which tests may
        replace)."""
        if self.software is not None:
            return self.software
        package = sys.modules.get(__package__ or "")
        return getattr(package, "SOFTWARE", SOFTWARE)

    def _check_server(self) -> None:
        assert self.server_key is not None
        if self.expected_server_key is not None:
            if self.expected_server_key != self.server_key:
                raise ServerKeyMismatch(
                    "server key mismatch for %s: expected %s, received %s"
                    % (self.address, key_to_base64(self.expected_server_key),
                       key_to_base64(self.server_key)),
                    self.expected_server_key, self.server_key)
            return
        if self.attestation:
            self._check_attestation()
            return
        if self.known_servers is not None:
            self.recorded_key = check_known_server(
                self.known_servers, self.address, self.server_key)

    def _check_attestation(self) -> None:
        """Verifies the attestation document in the server's Hello against
        the expectations, bound to the server's static key (attestation.py
        holds the rules, the same as the C verifier's)."""
        assert self.server_hello is not None
        doc = self.server_hello.attestation_document
        if not doc:
            raise AttestationError(
                "%s: attestation: the server sent no attestation document, "
                "but PCR values are expected" % self.address)
        from . import attestation as at
        try:
            self.attestation_result = at.verify(
                doc, self._expectations, server_key=self.server_key)
        except at.AttestationError as e:
            raise AttestationError("%s: attestation: %s"
                                   % (self.address, e)) from None

    # ---- frames (public for tests that speak the protocol directly) -----

    def _usable(self) -> None:
        if self.sock is None or self._tx is None:
            raise PipelineError("%s: not connected" % self.address)
        if self._broken is not None:
            raise PipelineError("%s: the connection is unusable (%s)"
                                % (self.address, self._broken))

    def seal(self, frame: pb.Frame) -> bytes:
        """The framed ciphertext of a Frame, ready for the socket."""
        plain = frame.SerializeToString()
        if len(plain) > MAX_FRAME:
            raise PipelineError("frame of %d bytes exceeds %d"
                                % (len(plain), MAX_FRAME))
        body = self._tx.encrypt_with_ad(b"", plain)
        return struct.pack(">H", len(body)) + body

    def send_encrypted(self, plaintext: bytes) -> None:
        """Seals arbitrary bytes as one transport message (for tests that
        send things that are not Frames)."""
        if len(plaintext) > MAX_FRAME:
            raise PipelineError("frame of %d bytes exceeds %d"
                                % (len(plaintext), MAX_FRAME))
        self._send_message(self._tx.encrypt_with_ad(b"", bytes(plaintext)))

    def send_raw(self, data: bytes) -> None:
        """Writes bytes on the socket as they are, outside any framing."""
        self._sendall(bytes(data))

    def send_frame(self, frame: pb.Frame) -> None:
        """Encrypts and sends one Frame."""
        self._sendall(self.seal(frame))

    def _open(self, msg: bytes) -> pb.Frame:
        try:
            plain = self._rx.decrypt_with_ad(b"", msg)
        except DecryptFailedException:
            raise self._io_error("a message from the server failed "
                                 "authentication") from None
        frame = pb.Frame()
        try:
            frame.ParseFromString(plain)
        except Exception:
            raise self._io_error("a message from the server is not a valid "
                                 "Frame") from None
        return frame

    def recv_frame(self) -> pb.Frame:
        """Receives and decrypts the next Frame (blocking)."""
        return self._open(self._recv_message())

    def buffered_frame(self) -> Optional[pb.Frame]:
        """The next Frame if one is already received in full, else None."""
        msg = self._buffered_message()
        return None if msg is None else self._open(msg)

    def poll_frame(self) -> Optional[pb.Frame]:
        """A Frame if the server has sent one, without waiting."""
        f = self.buffered_frame()
        if f is not None or self.sock is None:
            return f
        r, _, _ = select.select([self.sock], [], [], 0)
        if r:
            self._fill()
        return self.buffered_frame()

    def expect(self, body: str) -> pb.Frame:
        """The next Frame, which must have `body` set; a Status frame
        raises RemoteError, anything else PipelineError."""
        f = self.recv_frame()
        kind = f.WhichOneof("body")
        if kind == "status" and body != "status":
            raise RemoteError.from_status(f.status)
        if kind != body:
            raise self._io_error("expected a %s frame, got %s" % (body, kind))
        return f

    # ---- calls ------------------------------------------------------------

    def ping(self, payload: Optional[bytes] = None) -> PingResult:
        """Round trip: the server echoes payload (16 random bytes by
        default) with its software string and clock."""
        self._usable()
        payload = os.urandom(16) if payload is None else bytes(payload)
        t0 = time.monotonic()
        self.send_frame(pb.Frame(ping=pb.PingRequest(payload=payload)))
        r = self.expect("ping_result").ping_result
        rtt = (time.monotonic() - t0) * 1e3
        if r.payload != payload:
            raise self._io_error("ping answer does not echo the request")
        return PingResult(bytes(r.payload), r.software, r.server_time_unix_ns,
                          rtt)

    def exec(self, argv: Optional[Sequence[Union[str, bytes]]] = None, *,
             command: Union[None, str, bytes] = None,
             env: Union[None, Mapping[str, str], Iterable[Union[str, bytes]]]
             = None,
             cwd: Union[None, str, bytes] = None,
             stdin: Any = None, stdout: Any = None, stderr: Any = None,
             timeout: float = 0, no_wait: bool = False,
             on_output: Optional[Callable[[str, bytes], None]] = None,
             tty: Union[None, bool, "Terminal"] = None
             ) -> "ExecResult":
        """Runs a command on the server and waits for it to end.

        Exactly one of argv (executed directly, PATH lookup) and command
        (run by the server's shell, `sh -c`) is given. env adds NAME=value
        entries (a mapping or a list of "NAME=value"); cwd is the working
        directory; timeout (seconds, 0 = none) has the server kill the
        process group when it expires (result.timed_out).

        stdin: None (the command reads /dev/null), bytes, a binary file
        object or descriptor-backed stream (read until EOF), or a callable
        returning the next chunk (b"" at the end).
        stdout / stderr: None collects the output into result.stdout /
        result.stderr (bytes); a callable gets each chunk as it arrives; a
        file object gets it written; DISCARD drops it. on_output(stream,
        data), with stream "stdout" or "stderr", overrides both.

        send_signal() from a signal handler or another thread forwards a
        signal to the remote process group while this runs.

        tty: True or a Terminal (pipeline_client.Terminal: TERM, size,
        modes; Terminal.from_fd copies a local terminal) runs the command
        on a pseudo-terminal on the server. Its output, stdout and stderr
        merged as a terminal merges them, goes to stdout; stdin is what is
        typed on it (b"\x03" is Ctrl-C); resize() changes its size.

        Returns ExecResult (exit_code, signal, timed_out, pid, spawn_error,
        stdout, stderr, status). A refusal by the server raises
        RemoteError with its code (PERMISSION_DENIED when exec is off).
        """
        from ._exec import run_exec
        self._usable()
        return run_exec(self, argv=argv, command=command, env=env, cwd=cwd,
                        stdin=stdin, stdout=stdout, stderr=stderr,
                        timeout=timeout, no_wait=no_wait,
                        on_output=on_output, tty=tty)

    def resize(self, rows: int, cols: int) -> None:
        """Sets the window size of the running exec(tty=...) call's
        terminal (the remote program gets SIGWINCH). Safe from signal
        handlers, callbacks and other threads; ignored without a
        terminal call."""
        self._resizes.append((int(rows), int(cols)))
        if self._wake_w >= 0:
            try:
                os.write(self._wake_w, b"r")
            except (BlockingIOError, OSError):
                pass

    def send_signal(self, signo: int) -> None:
        """Forwards signal signo (e.g. signal.SIGINT) to the process group
        of the running exec() call. Safe from signal handlers and other
        threads; ignored when no command is running."""
        self._signals.append(int(signo))
        if self._wake_w >= 0:
            try:
                os.write(self._wake_w, b"s")
            except (BlockingIOError, OSError):
                pass

    def _wake_fd(self) -> int:
        if self._wake_r < 0:
            self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK
                                                  | os.O_CLOEXEC)
        return self._wake_r

    def put_file(self, local: Union[PathLike, BinaryIO], remote: Union[str, bytes],
                 *, mode: Optional[int] = None, checksum: bool = False,
                 progress: Optional[Callable[[int, int], None]] = None,
                 preserve: bool = False) -> "TransferResult":
        """Copies a local file (a path, or a binary file object read to
        EOF) to remote. A remote path ending in '/' gets the local file's
        name appended. mode defaults to the local file's permission bits
        (0644 for file objects). The server writes a temporary file and
        renames it into place only when the whole file arrived. preserve
        (cp -p): the copy gets the local file's modification time;
        otherwise the time it was written."""
        from ._files import put_file
        self._usable()
        return put_file(self, local, remote, mode, checksum, progress,
                        preserve)

    def get_file(self, remote: Union[str, bytes],
                 local: Union[PathLike, BinaryIO], *, checksum: bool = False,
                 progress: Optional[Callable[[int, int], None]] = None,
                 preserve: bool = False) -> "TransferResult":
        """Copies remote to local (a path, or a binary file object that gets
        the bytes as they come). An existing local directory, or a path
        ending in '/', receives the file under its remote name; parents are
        created; the file appears under its name only when complete, with
        the remote permission bits (and, with preserve, its modification
        time)."""
        from ._files import get_file
        self._usable()
        return get_file(self, remote, local, checksum, progress, preserve)

    def put_dir(self, local: PathLike, remote: Union[str, bytes], *,
                checksum: bool = False,
                warn: Optional[Callable[[str], None]] = None,
                preserve: bool = False) -> "TransferResult":
        """Copies the tree under local into remote (created as needed):
        regular files, directories and symlinks (sent as links), modes
        kept; other file types are skipped with a warning. preserve: the
        modification times too (directories, the top one included)."""
        from ._dirs import put_dir
        self._usable()
        return put_dir(self, local, remote, checksum, warn, preserve)

    def get_dir(self, remote: Union[str, bytes], local: PathLike, *,
                checksum: bool = False,
                warn: Optional[Callable[[str], None]] = None,
                preserve: bool = False) -> "TransferResult":
        """Copies the tree under remote into local (created as needed).
        Entry names are checked (no absolute paths, no '..'), and nothing
        is ever written through a symlink. preserve: the server's
        modification times are set (directories after their contents)."""
        from ._dirs import get_dir
        self._usable()
        return get_dir(self, remote, local, checksum, warn, preserve)


# The name older scripts used.
Connection = Client


def connect(address: str, key: KeySpec = None, *,
            server_key: ServerKeySpec = None,
            known_servers: Optional[PathLike] = None,
            connect_timeout: float = 5.0,
            io_timeout: Optional[float] = None,
            timeout: Optional[float] = None,
            expect_pcrs: Optional[Mapping[int, Union[str, bytes]]] = None,
            attestation_root: Optional[PathLike] = None,
            allow_debug: bool = False,
            max_age: Optional[float] = None,
            cipher: Optional[str] = None) -> Client:
    """Connects to a Pipeline server and runs the handshake.

    address: "unix:PATH", "tcp:HOST:PORT" or "vsock:CID:PORT".
    key: this client's static key: a KeyPair, 32 raw private bytes, or the
    path of a key file (created with mode 0600 when missing); None uses a
    fresh key for this connection.
    Server identity, checked before our key is revealed: server_key (32
    bytes or base64) pins the key; otherwise expect_pcrs (a mapping of PCR
    index to hex or bytes) verifies the server's attestation document
    (attestation_root, allow_debug, max_age tune that); otherwise
    known_servers (a file path) records the key on first contact and
    refuses a different one later. With none of them any key is accepted.
    connect_timeout bounds connect and handshake; io_timeout (None: wait
    forever) bounds every later wait for the server; timeout sets both.
    cipher: "aesgcm" or "chachapoly" uses exactly that suite; None asks for
    AESGCM and, when the server refuses it with its `error:` line, connects
    once more with ChaChaPoly (client.noise_name tells which one is used).

    Raises ValueError for bad arguments, ConnectError, HandshakeError
    (ServerKeyMismatch, ProtocolRefused, AttestationError) or RemoteError
    (UNAUTHENTICATED when the server does not know our key; it says so in
    its first frame, so connect() does not see it: the first call does).
    """
    if timeout is not None:
        connect_timeout = io_timeout = timeout
    return Client(address, key, server_key=server_key,
                  known_servers=known_servers,
                  connect_timeout=connect_timeout, io_timeout=io_timeout,
                  expect_pcrs=expect_pcrs, attestation_root=attestation_root,
                  allow_debug=allow_debug, max_age=max_age,
                  cipher=cipher).connect()


from ._exec import ExecResult  # noqa: E402  (after Client, which it uses)
from .terminal import Terminal  # noqa: E402
from ._files import TransferResult  # noqa: E402
