"""The Exec call: stream stdin out and stdout/stderr in at the same time.

One select() loop watches the socket, the local stdin and the wake-up pipe
of send_signal(); outgoing bytes are written only while the socket takes
them, and the socket is read in every turn, so neither side can block the
other with full buffers.
"""

import io
import math
import os
import select
import stat
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, List, Optional

from . import pipeline_pb2 as pb
from .errors import PipelineError, RemoteError
from .terminal import Terminal

if TYPE_CHECKING:
    from .client import Client

MAX_CHUNK = 65487


class _Discard:
    """Marker: drop this stream."""

    def __repr__(self) -> str:
        return "pipeline_client.DISCARD"


DISCARD: Any = _Discard()


@dataclass
class ExecResult:
    """How a command ended.

    exit_code: the exit status, or 128+signal when a signal killed it (as a
    shell reports it); signal: that signal or 0; timed_out: the server
    killed it because the timeout expired; spawn_error: set when the
    program could not start (exit_code 127 or 126); pid: the remote pid;
    stdout/stderr: the collected output when it was not sent elsewhere.
    """
    exit_code: int = -1
    signal: int = 0
    timed_out: bool = False
    spawn_error: str = ""
    pid: int = 0
    stdout: Optional[bytes] = None
    stderr: Optional[bytes] = None
    stdin_bytes: int = 0
    _out: List[bytearray] = field(default_factory=lambda: [bytearray(),
                                                           bytearray()],
                                  repr=False)

    @property
    def status(self) -> int:
        """Shell-style status: the exit code, 128+N for signal N."""
        return self.exit_code

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.spawn_error

    def check(self) -> "ExecResult":
        """Raises CommandFailed unless the command exited 0; returns self."""
        if not self.ok:
            raise CommandFailed(self)
        return self


class CommandFailed(PipelineError):
    """Raised by ExecResult.check() for a non-zero exit."""

    def __init__(self, result: ExecResult):
        self.result = result
        why = result.spawn_error or (
            "killed by signal %d" % result.signal if result.signal else
            "exit status %d" % result.exit_code)
        super().__init__("command failed: %s" % why)


def _encode(v: Any) -> bytes:
    return v if isinstance(v, bytes) else os.fsencode(v)


def _sink(spec: Any, which: int,
          result: ExecResult) -> Optional[Callable[[bytes], None]]:
    """A function taking each chunk, or None to discard."""
    if spec is None:
        return result._out[which].extend
    if spec is DISCARD:
        return None
    if callable(spec) and not hasattr(spec, "write"):
        return spec
    out = getattr(spec, "buffer", spec)  # a text stream's binary side
    flush = getattr(out, "flush", None)

    def write(data: bytes) -> None:
        out.write(data)
        if flush:
            flush()
    return write


class _Source:
    """Where stdin comes from: fd (selected on) or read() (never blocks
    for long: bytes, BytesIO, regular files, callables)."""

    def __init__(self, spec: Any):
        self.fd = -1
        self.eof = False
        self.read: Optional[Callable[[int], bytes]] = None
        if isinstance(spec, (bytes, bytearray, memoryview)):
            data = io.BytesIO(bytes(spec))
            self.read = data.read
        elif isinstance(spec, int):
            self.fd = spec
        elif callable(spec) and not hasattr(spec, "read"):
            self.read = lambda n: spec() or b""
        else:
            raw = getattr(spec, "buffer", spec)
            fd = -1
            try:
                fd = raw.fileno()
            except (AttributeError, OSError, io.UnsupportedOperation):
                pass
            # Pipes and terminals are selected on; everything else is read.
            if fd >= 0 and not stat.S_ISREG(os.fstat(fd).st_mode):
                self.fd = fd
            else:
                self.read = lambda n: raw.read(n) or b""

    def chunk(self) -> bytes:
        if self.read is not None:
            return self.read(MAX_CHUNK)
        try:
            return os.read(self.fd, MAX_CHUNK)
        except BlockingIOError:
            return b"?"  # nothing after all; see the caller
        except OSError:
            return b""  # a read error ends stdin, as for a local command


def run_exec(c: "Client", *, argv: Any, command: Any, env: Any, cwd: Any,
             stdin: Any, stdout: Any, stderr: Any, timeout: float,
             no_wait: bool, on_output: Any, tty: Any = None) -> ExecResult:
    if bool(argv) == (command is not None):
        raise ValueError("exec: give either argv or command, not both or "
                         "neither")
    if isinstance(argv, (str, bytes)):
        raise ValueError("exec: argv is a list of arguments; for a shell "
                         "command line use command=")
    if env is None:
        env_list: List[bytes] = []
    elif hasattr(env, "items"):
        env_list = [_encode(k) + b"=" + _encode(v) for k, v in env.items()]
    else:
        env_list = [_encode(e) for e in env]
    no_stdin = stdin is None or no_wait
    req = pb.ExecRequest(
        argv=[_encode(a) for a in (argv or [])],
        command=_encode(command) if command is not None else b"",
        env=env_list, cwd=_encode(cwd) if cwd is not None else b"",
        timeout_secs=int(math.ceil(timeout)) if timeout else 0,
        no_wait=no_wait, no_stdin=no_stdin)
    if tty:
        if no_wait:
            raise ValueError("exec: a detached command (no_wait) cannot "
                             "have a terminal")
        t = tty if isinstance(tty, Terminal) else Terminal()
        req.tty.CopyFrom(pb.Terminal(
            term=t.term, size=pb.WindowSize(rows=t.rows, cols=t.cols),
            modes=t.modes))
    result = ExecResult()
    if on_output is not None:
        sinks = [lambda d: on_output("stdout", d),
                 lambda d: on_output("stderr", d)]
    else:
        sinks = [_sink(stdout, 0, result), _sink(stderr, 1, result)]
    source = None if no_stdin else _Source(stdin)
    c._signals.clear()
    c._resizes.clear()
    wake = c._wake_fd()
    c.send_frame(pb.Frame(exec=req))
    sock = c.sock
    assert sock is not None
    pending = bytearray()  # sealed bytes the socket has not taken yet
    send_dead = False
    done = False
    sock.setblocking(False)
    try:
        while not done:
            # Signals go out first, then stdin, one frame at a time.
            if not pending and not send_dead:
                if c._signals:
                    pending += c.seal(pb.Frame(signal=pb.Signal(
                        signo=c._signals.pop(0))))
                elif c._resizes:
                    rows, cols = c._resizes.pop(0)
                    if tty:
                        pending += c.seal(pb.Frame(
                            window_size=pb.WindowSize(rows=rows, cols=cols)))
                elif source is not None and not source.eof \
                        and source.fd < 0:
                    pending += _stdin_frame(c, source, result)
            if source is not None and source.eof and not pending:
                source = None
            rlist = [sock, wake]
            if source is not None and source.fd >= 0 and not pending \
                    and not send_dead:
                rlist.append(source.fd)
            wlist = [sock] if pending and not send_dead else []
            r, w, _ = select.select(rlist, wlist, [], c.io_timeout)
            if not r and not w:
                raise c._io_error("no answer within %.1f s" % c.io_timeout)
            if wake in r:
                try:
                    os.read(wake, 4096)
                except BlockingIOError:
                    pass
            if source is not None and source.fd >= 0 and source.fd in r:
                pending += _stdin_frame(c, source, result)
            if w:
                try:
                    del pending[:sock.send(pending)]
                except BlockingIOError:
                    pass
                except (BrokenPipeError, ConnectionResetError):
                    # The server ended the call; its answer may be queued.
                    send_dead = True
            if sock in r:
                c._fill()
                while not done:
                    f = c.buffered_frame()
                    if f is None:
                        break
                    done = _on_frame(f, result, sinks)
    except RemoteError:
        if (source is not None and not source.eof) or pending:
            c._broken = c._broken or "an exec call ended before its input"
        raise
    except BaseException:
        # Interrupted half way: frames are in flight either way.
        c._broken = c._broken or "an exec call was interrupted"
        raise
    finally:
        if c.sock is not None:
            c.sock.settimeout(c.io_timeout)
        c._signals.clear()
        c._resizes.clear()
    if (source is not None and not source.eof) or pending or send_dead:
        # The server closes a connection whose stdin did not end.
        c._broken = "the command ended before its input did"
    if stdout is None and on_output is None:
        result.stdout = bytes(result._out[0])
    if stderr is None and on_output is None:
        result.stderr = bytes(result._out[1])
    result._out = []
    return result


def _stdin_frame(c: "Client", source: _Source, result: ExecResult) -> bytes:
    data = source.chunk()
    if data == b"?":
        return b""
    if data:
        result.stdin_bytes += len(data)
        return c.seal(pb.Frame(data=pb.Data(stream=pb.STREAM_STDIN,
                                            data=data)))
    source.eof = True
    source.fd = -1
    source.read = None
    return c.seal(pb.Frame(end=pb.EndOfStream(
        stream=pb.STREAM_STDIN, total_length=result.stdin_bytes)))


def _on_frame(f: pb.Frame, result: ExecResult,
              sinks: List[Optional[Callable[[bytes], None]]]) -> bool:
    """Handles one frame from the server; True at the terminal frame."""
    kind = f.WhichOneof("body")
    if kind == "exec_started":
        result.pid = f.exec_started.pid
    elif kind == "data":
        if f.data.stream == pb.STREAM_STDOUT:
            sink = sinks[0]
        elif f.data.stream == pb.STREAM_STDERR:
            sink = sinks[1]
        else:
            raise PipelineError("unexpected data on stream %d during exec"
                                % f.data.stream)
        if sink is not None:
            sink(f.data.data)
    elif kind == "end":
        pass  # end of stdout or stderr; the result follows
    elif kind == "exec_result":
        r = f.exec_result
        result.exit_code, result.signal = r.exit_code, r.signal
        result.timed_out, result.spawn_error = r.timed_out, r.spawn_error
        return True
    elif kind == "status":
        raise RemoteError.from_status(f.status)
    else:
        raise PipelineError("unexpected %s frame during exec" % kind)
    return False
