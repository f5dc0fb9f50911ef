"""pytest fixtures for harnesses that drive a Pipeline server.

Installed with the package, pytest loads this plugin by itself (entry point
`pytest11`); from a source tree, add `-p pipeline_client.pytest_plugin`.

Fixtures:
  pipeline_server          a `pipeline listen` on a unix socket in a temp
                           dir, with its own server key, stopped after the
                           test (PipelineServer)
  pipeline_client          a Client connected to it, pinned to its key
  pipeline_server_factory  start(*config_lines) -> PipelineServer, for tests
                           that need several servers or special policy
  pipeline_bin             the `pipeline` binary used

The binary comes from --pipeline-bin, else $PIPELINE_BIN, else `pipeline`
on PATH. Extra server configuration (libconfig lines) for pipeline_server:

    @pytest.mark.pipeline_config('server = { allow_exec = false; };')
    def test_no_exec(pipeline_client): ...
"""

import os
import shutil
import subprocess
import tempfile
import time
from typing import Any, Iterator, List, Optional, Sequence

import pytest

from .client import Client
from .errors import HandshakeError, PipelineError, RemoteError
from .keys import generate_keypair, key_to_base64, public_key


def _write_key(path: str) -> bytes:
    """Writes a new private key file (mode 0600); returns its public key."""
    kp = generate_keypair()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key_to_base64(kp.private.data) + "\n")
    return public_key(kp)


class PipelineServer:
    """A `pipeline listen` process on a unix socket in its own directory.

    address, server_key (32 bytes) and client_key_file (a key this
    harness's clients use; list it in authorized_keys to test policy) are
    set before start(). connect() returns a Client pinned to server_key.
    key_file=False starts the server without a key file (an attested
    server, whose key lives in memory); server_key is then None.
    """

    def __init__(self, binary: str, directory: str,
                 config: Sequence[str] = (), start_timeout: float = 30.0,
                 key_file: bool = True):
        self.binary = binary
        self.dir = directory
        self.socket_path = os.path.join(directory, "s.sock")
        self.address = "unix:" + self.socket_path
        self.config_path = os.path.join(directory, "pipeline.conf")
        self.key_file = os.path.join(directory, "server.key")
        self.client_key_file = os.path.join(directory, "client.key")
        self.log_path = os.path.join(directory, "server.log")
        self.start_timeout = start_timeout
        # An attested server keeps its key in memory: no file, no pin.
        self.server_key: Optional[bytes] = _write_key(self.key_file) \
            if key_file else None
        self.client_key = _write_key(self.client_key_file)
        with open(self.config_path, "w") as f:
            f.write('address = "%s";\n' % self.address)
            for line in config:
                f.write(line + "\n")
        self.proc: Optional[subprocess.Popen] = None

    def start(self) -> "PipelineServer":
        """Starts the server and waits until it answers a ping."""
        with open(self.log_path, "ab") as log:
            key = ["--key-file", self.key_file] if self.server_key else []
            self.proc = subprocess.Popen(
                [self.binary, "-c", self.config_path, "listen"] + key,
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                cwd=self.dir)
        deadline = time.monotonic() + self.start_timeout
        delay = 0.005
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("pipeline listen exited with %s:\n%s"
                                   % (self.proc.returncode, self.log()))
            if os.path.exists(self.socket_path):
                try:
                    with self.connect(timeout=5.0) as c:
                        c.ping()
                    return self
                except (RemoteError, HandshakeError):
                    # It answered (refusing this harness's key, or with a
                    # key of its own: an attested server keeps it in memory).
                    return self
                except PipelineError:
                    pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("pipeline listen did not come up on %s "
                                   "within %.0f s:\n%s"
                                   % (self.address, self.start_timeout,
                                      self.log()))
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def connect(self, timeout: Optional[float] = None, **kw: Any) -> Client:
        """A connected Client with this harness's key, pinned to the
        server's key (keyword arguments go to Client)."""
        kw.setdefault("server_key", self.server_key)
        if timeout is not None:
            kw.setdefault("connect_timeout", timeout)
            kw.setdefault("io_timeout", timeout)
        return Client(self.address, self.client_key_file, **kw).connect()

    def stop(self) -> Optional[int]:
        """SIGTERM, then SIGKILL after 10 s; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        return rc

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        """What the server logged so far."""
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def __enter__(self) -> "PipelineServer":
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def find_pipeline_bin(option: Optional[str] = None) -> str:
    """The `pipeline` binary: option, $PIPELINE_BIN, or PATH."""
    for cand in (option, os.environ.get("PIPELINE_BIN")):
        if cand:
            if not os.access(cand, os.X_OK):
                raise FileNotFoundError("pipeline binary %s is not an "
                                        "executable file" % cand)
            return cand
    found = shutil.which("pipeline")
    if not found:
        raise FileNotFoundError("no pipeline binary: give --pipeline-bin, "
                                "set PIPELINE_BIN, or put it on PATH")
    return found


def pytest_addoption(parser: Any) -> None:
    parser.addoption("--pipeline-bin", default=None,
                     help="the pipeline binary the pipeline_server fixture "
                     "starts (default: $PIPELINE_BIN, then PATH)")


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers", "pipeline_config(*lines): extra libconfig lines for the "
        "pipeline_server fixture's server")


@pytest.fixture(scope="session")
def pipeline_bin(request: Any) -> str:
    try:
        return find_pipeline_bin(request.config.getoption("--pipeline-bin"))
    except FileNotFoundError as e:
        pytest.fail(str(e), pytrace=False)
        raise  # not reached


@pytest.fixture
def pipeline_server_factory(pipeline_bin: str) -> Iterator[Any]:
    servers: List[PipelineServer] = []
    # Unix socket paths are limited to 108 bytes: keep the directory short.
    base = tempfile.mkdtemp(prefix="pl-pytest.")

    def start(*config: str, **kw: Any) -> PipelineServer:
        d = tempfile.mkdtemp(dir=base)
        s = PipelineServer(pipeline_bin, d, config, **kw)
        servers.append(s)
        return s.start()

    try:
        yield start
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pipeline_server(request: Any,
                    pipeline_server_factory: Any) -> PipelineServer:
    lines: List[str] = []
    for m in request.node.iter_markers("pipeline_config"):
        lines.extend(m.args)
    return pipeline_server_factory(*lines)


@pytest.fixture
def pipeline_client(pipeline_server: PipelineServer) -> Iterator[Client]:
    with pipeline_server.connect() as c:
        yield c
