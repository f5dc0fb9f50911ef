"""PutFile and GetFile, plus the byte-stream pieces the directory calls
share: sending a file as Data frames with its EndOfStream, receiving one
into a temporary file that is renamed into place only when complete."""

import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from typing import (TYPE_CHECKING, Any, BinaryIO, Callable, Optional, Tuple,
                    Union)

from . import pipeline_pb2 as pb
from .errors import PipelineError, RemoteError, TransferError

if TYPE_CHECKING:
    from .client import Client

MAX_CHUNK = 65487
# How many chunks go out between looks for an early Status from the server.
CHECK_EVERY = 8

Progress = Optional[Callable[[int, int], None]]


@dataclass
class TransferResult:
    """What a transfer moved: file bytes, regular files and all entries
    (directory calls), entries skipped locally, the SHA-256 when asked
    (files), and the local path actually written or read (files)."""
    bytes: int = 0
    files: int = 0
    entries: int = 0
    skipped: int = 0
    sha256: Optional[bytes] = None
    local: Optional[str] = None


def _b(v: Any) -> bytes:
    return v if isinstance(v, bytes) else os.fsencode(v)


def time_to_wire(ns: int) -> pb.FileTime:
    """A stat st_mtime_ns as a FileTime (floor division keeps nsec
    positive before 1970)."""
    return pb.FileTime(sec=ns // 10**9, nsec=ns % 10**9)


def check_times(c: "Client", preserve: bool) -> None:
    """preserve needs a server that says it keeps times ("mtime" in its
    Hello): an older one would drop them silently."""
    if preserve and (c.server_hello is None or
                     "mtime" not in c.server_hello.features):
        raise TransferError("the server cannot keep modification times (it "
                            "predates preserve): update it, or copy "
                            "without preserve")


def time_from_wire(c: "Client", ft: pb.FileTime, what: str) -> int:
    """Nanoseconds from a FileTime the server sent; a nanosecond count of a
    second or more is refused (and the connection, mid-call, dropped)."""
    if ft.nsec >= 10**9:
        c._broken = "the server sent an invalid modification time"
        c.close()
        raise TransferError("%s: invalid modification time: %d nanoseconds"
                            % (what, ft.nsec))
    return ft.sec * 10**9 + ft.nsec


def send_stream(c: "Client", f: BinaryIO, checksum: bool, progress: Progress,
                size_hint: int, stream: int) -> Tuple[int, Optional[bytes]]:
    """Sends f to EOF as Data(STREAM_FILE) frames and the EndOfStream.
    A Status from the server in the middle ends the upload: the
    EndOfStream of `stream` (the call's outer stream) goes out so the
    connection stays usable, and RemoteError is raised."""
    h = hashlib.sha256() if checksum else None
    total = 0
    n = 0
    while True:
        try:
            data = f.read(MAX_CHUNK)
        except OSError:
            # No cancel frame exists: close, and the server drops the file.
            c._broken = "a local read failed in the middle of an upload"
            c.close()
            raise
        if not data:
            break
        if h:
            h.update(data)
        total += len(data)
        c.send_frame(pb.Frame(data=pb.Data(stream=pb.STREAM_FILE, data=data)))
        n += 1
        if progress:
            progress(total, size_hint)
        if n % CHECK_EVERY == 0:
            early_status(c, stream, total)
    digest = h.digest() if h else None
    c.send_frame(pb.Frame(end=pb.EndOfStream(
        stream=pb.STREAM_FILE, total_length=total, sha256=digest or b"")))
    return total, digest


def early_status(c: "Client", stream: int, total: int) -> None:
    f = c.poll_frame()
    if f is None:
        return
    if f.WhichOneof("body") != "status":
        raise c._io_error("unexpected %s frame during an upload"
                          % f.WhichOneof("body"))
    # The server discards up to our EndOfStream of the outer stream.
    c.send_frame(pb.Frame(end=pb.EndOfStream(stream=stream,
                                             total_length=total)))
    raise RemoteError.from_status(f.status)


def put_file(c: "Client", local: Any, remote: Union[str, bytes],
             mode: Optional[int], checksum: bool, progress: Progress,
             preserve: bool = False) -> TransferResult:
    rpath = _b(remote)
    if not rpath:
        raise ValueError("put_file: empty remote path")
    check_times(c, preserve)
    opened = None
    mtime = None
    if hasattr(local, "read"):
        f = local
        size = 0
        local_name = getattr(local, "name", None)
        if mode is None:
            mode = 0o644
    else:
        opened = f = open(local, "rb")
        local_name = os.fsdecode(local)
        st = os.fstat(f.fileno())
        if stat.S_ISDIR(st.st_mode):
            f.close()
            raise IsADirectoryError(21, "Is a directory (use put_dir)",
                                    local_name)
        size = st.st_size
        if mode is None:
            mode = st.st_mode & 0o7777
        if preserve:
            mtime = time_to_wire(st.st_mtime_ns)
    if rpath.endswith(b"/"):
        if not isinstance(local_name, str):
            raise ValueError("put_file: a remote path ending in '/' needs a "
                             "local file name")
        rpath += os.fsencode(os.path.basename(local_name.rstrip("/")))
    try:
        c.send_frame(pb.Frame(put_file=pb.PutFileRequest(
            path=rpath, mode=mode, checksum=checksum, mtime=mtime)))
        total, digest = send_stream(c, f, checksum, progress, size,
                                    pb.STREAM_FILE)
        r = c.expect("transfer_result").transfer_result
    finally:
        if opened:
            opened.close()
    if r.bytes != total:
        raise TransferError("the server stored %d bytes of %d"
                            % (r.bytes, total))
    if checksum and r.sha256 != digest:
        raise TransferError("the server's SHA-256 differs from ours")
    return TransferResult(bytes=total, files=1, entries=1, sha256=digest,
                          local=local_name)


class AtomicFile:
    """A file written under ".NAME.XXXXXX.incomplete" beside its
    destination, fsynced and renamed over it by commit(); abort() (or an
    exception inside `with`) removes it. mtime_ns, when given, is set on
    the temporary before the rename."""

    def __init__(self, dest: Union[str, bytes], mode: int,
                 mtime_ns: Optional[int] = None):
        self.dest = os.fsencode(dest)
        d, name = os.path.split(self.dest)
        prefix = b"." + name[:200] + b"."
        fd, self.tmp = tempfile.mkstemp(prefix=prefix, suffix=b".incomplete",
                                        dir=d or b".")
        self.mode = mode & 0o7777
        self.mtime_ns = mtime_ns
        self.f = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        self.f.write(data)

    def commit(self) -> None:
        self.f.flush()
        fd = self.f.fileno()
        os.fchmod(fd, self.mode)
        if self.mtime_ns is not None:
            os.utime(fd, ns=(os.fstat(fd).st_atime_ns, self.mtime_ns))
        os.fsync(fd)
        self.f.close()
        os.rename(self.tmp, self.dest)

    def abort(self) -> None:
        if not self.f.closed:
            self.f.close()
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass

    def __enter__(self) -> "AtomicFile":
        return self

    def __exit__(self, et: Any, *rest: Any) -> None:
        if et is not None:
            self.abort()


def recv_stream(c: "Client", write: Callable[[bytes], Any], checksum: bool,
                progress: Progress, size_hint: int,
                what: str) -> Tuple[int, Optional[bytes]]:
    """Receives Data(STREAM_FILE) frames up to their EndOfStream and checks
    its length (and digest). A Status raises RemoteError."""
    h = hashlib.sha256() if checksum else None
    total = 0
    while True:
        f = c.recv_frame()
        kind = f.WhichOneof("body")
        if kind == "data" and f.data.stream == pb.STREAM_FILE:
            data = f.data.data
            try:
                write(data)
            except OSError:
                # Frames keep coming; the connection cannot be resynced.
                c._broken = "a local write failed in the middle of a download"
                c.close()
                raise
            if h:
                h.update(data)
            total += len(data)
            if progress:
                progress(total, size_hint)
        elif kind == "end" and f.end.stream == pb.STREAM_FILE:
            if f.end.total_length != total:
                raise TransferError("%s: the server sent %d bytes but "
                                    "announced %d" % (what, total,
                                                      f.end.total_length))
            digest = h.digest() if h else None
            if checksum and f.end.sha256 != digest:
                raise TransferError("%s: SHA-256 mismatch" % what)
            return total, digest
        elif kind == "status":
            raise RemoteError.from_status(f.status)
        else:
            raise c._io_error("unexpected %s frame in a file stream" % kind)


def get_file(c: "Client", remote: Union[str, bytes], local: Any,
             checksum: bool, progress: Progress,
             preserve: bool = False) -> TransferResult:
    rpath = _b(remote)
    if not rpath:
        raise ValueError("get_file: empty remote path")
    check_times(c, preserve)
    what = os.fsdecode(rpath)
    c.send_frame(pb.Frame(get_file=pb.GetFileRequest(path=rpath,
                                                     checksum=checksum)))
    hdr = c.expect("file_header").file_header
    # An older server sends no time: the file keeps the one it is written.
    mtime = (time_from_wire(c, hdr.mtime, what)
             if preserve and hdr.HasField("mtime") else None)
    if hasattr(local, "write"):
        total, digest = recv_stream(c, local.write, checksum, progress,
                                    hdr.size_hint, what)
        return TransferResult(bytes=total, files=1, entries=1, sha256=digest,
                              local=getattr(local, "name", None))
    dest = os.fsencode(local)
    if dest.endswith(b"/") or os.path.isdir(dest):
        dest = os.path.join(dest, os.path.basename(rpath.rstrip(b"/")))
    parent = os.path.dirname(dest)
    try:
        if parent:
            os.makedirs(parent, exist_ok=True)
        out = AtomicFile(dest, hdr.mode or 0o644, mtime)
    except OSError:
        # The server is already sending: drain the call so the connection
        # stays usable, then report the local error.
        try:
            recv_stream(c, lambda d: None, checksum, None, 0, what)
        except PipelineError:
            pass
        raise
    with out:
        total, digest = recv_stream(c, out.write, checksum, progress,
                                    hdr.size_hint, what)
        out.commit()
    return TransferResult(bytes=total, files=1, entries=1, sha256=digest,
                          local=os.fsdecode(dest))
