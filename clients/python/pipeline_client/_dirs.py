"""PutDir and GetDir: a tree as a stream of DirEntry frames, each regular
file followed by its bytes (docs/PROTOCOL.md, "PutDir and GetDir")."""

import os
import stat
import sys
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Tuple, Union

from . import pipeline_pb2 as pb
from ._files import (AtomicFile, TransferResult, early_status, recv_stream,
                     check_times, send_stream, time_from_wire,
                     time_to_wire)
from .errors import RemoteError, TransferError

if TYPE_CHECKING:
    from .client import Client

Warn = Optional[Callable[[str], None]]


def _default_warn(msg: str) -> None:
    print("pipeline_client: warning: %s" % msg, file=sys.stderr)


def _walk(top: bytes, rel: bytes = b""):
    """(relative name, lstat result) for every entry under top, each
    directory before its children, in a stable order."""
    with os.scandir(os.path.join(top, rel) if rel else top) as it:
        entries = sorted(it, key=lambda e: e.name)
    for e in entries:
        name = rel + b"/" + e.name if rel else e.name
        st = e.stat(follow_symlinks=False)
        yield name, st
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(top, name)


def put_dir(c: "Client", local: Any, remote: Union[str, bytes],
            checksum: bool, warn: Warn, preserve: bool = False
            ) -> TransferResult:
    warn = warn or _default_warn
    check_times(c, preserve)
    top = os.fsencode(local)
    st = os.stat(top)
    if not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(20, "Not a directory", os.fsdecode(top))
    rpath = remote if isinstance(remote, bytes) else os.fsencode(remote)
    res = TransferResult()
    errors = 0
    def when(est: os.stat_result) -> Optional[pb.FileTime]:
        return time_to_wire(est.st_mtime_ns) if preserve else None
    c.send_frame(pb.Frame(put_dir=pb.PutDirRequest(
        path=rpath, mode=st.st_mode & 0o7777, checksum=checksum,
        mtime=when(st))))
    walker = _walk(top)
    while True:
        try:
            item = next(walker, None)
        except OSError as e:
            warn("%s: %s" % (os.fsdecode(e.filename or top), e.strerror))
            errors += 1
            break  # the rest of that subtree cannot be listed
        if item is None:
            break
        name, est = item
        path = os.path.join(top, name)
        mode = est.st_mode & 0o7777
        if stat.S_ISREG(est.st_mode):
            try:
                f = open(path, "rb")
            except OSError as e:
                warn("%s: %s" % (os.fsdecode(path), e.strerror))
                errors += 1
                continue
            with f:
                c.send_frame(pb.Frame(dir_entry=pb.DirEntry(
                    name=name, type=pb.ENTRY_FILE, mode=mode,
                    size_hint=est.st_size, mtime=when(est))))
                n, _ = send_stream(c, f, checksum, None, est.st_size,
                                   pb.STREAM_DIR)
            res.bytes += n
            res.files += 1
        elif stat.S_ISDIR(est.st_mode):
            c.send_frame(pb.Frame(dir_entry=pb.DirEntry(
                name=name, type=pb.ENTRY_DIR, mode=mode, mtime=when(est))))
        elif stat.S_ISLNK(est.st_mode):
            try:
                target = os.readlink(path)
            except OSError as e:
                warn("%s: %s" % (os.fsdecode(path), e.strerror))
                errors += 1
                continue
            c.send_frame(pb.Frame(dir_entry=pb.DirEntry(
                name=name, type=pb.ENTRY_SYMLINK, link_target=target,
                mtime=when(est))))
        else:
            warn("%s: not a regular file, directory or symlink; skipped"
                 % os.fsdecode(path))
            res.skipped += 1
            c.send_frame(pb.Frame(dir_entry=pb.DirEntry(
                name=name, type=pb.ENTRY_UNSPECIFIED, mode=mode)))
        res.entries += 1
        if res.entries % 16 == 0:
            early_status(c, pb.STREAM_DIR, res.entries)
    c.send_frame(pb.Frame(end=pb.EndOfStream(stream=pb.STREAM_DIR,
                                             total_length=res.entries)))
    r = c.expect("transfer_result").transfer_result
    if r.entries != res.entries or r.bytes != res.bytes:
        raise TransferError("the server stored %d entries (%d bytes) of %d "
                            "(%d bytes)" % (r.entries, r.bytes, res.entries,
                                            res.bytes))
    if errors:
        raise TransferError("%d local entries could not be read; the rest "
                            "was copied" % errors)
    return res


def check_name(name: bytes) -> List[bytes]:
    """The components of an entry name; TransferError unless it is
    relative, '/'-separated, with no empty, '.' or '..' component."""
    parts = name.split(b"/")
    if not name or b"\0" in name or any(p in (b"", b".", b"..")
                                        for p in parts):
        raise TransferError("the server sent a bad entry name %r" % name)
    return parts


class _Tree:
    """Creates entries beneath a local directory without ever following a
    symlink in a parent component."""

    def __init__(self, top: bytes):
        self.top = top
        self.created: List[Tuple[bytes, int]] = []  # dirs made, with modes
        self.times: List[Tuple[bytes, int]] = []  # dirs with a time (-p)

    def parent(self, parts: List[bytes]) -> bytes:
        path = self.top
        for p in parts[:-1]:
            path = os.path.join(path, p)
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                os.mkdir(path, 0o700)
                self.created.append((path, 0o755))
                continue
            if not stat.S_ISDIR(st.st_mode):
                raise NotADirectoryError(20, "Not a directory (or a symlink)",
                                         os.fsdecode(path))
        return os.path.join(path, parts[-1])

    def mkdir(self, parts: List[bytes], mode: int) -> None:
        path = self.parent(parts)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            os.mkdir(path, 0o700)  # owner-writable until the end
            self.created.append((path, mode or 0o755))
            return
        if not stat.S_ISDIR(st.st_mode):
            raise FileExistsError(17, "File exists and is not a directory",
                                  os.fsdecode(path))

    def symlink(self, parts: List[bytes], target: bytes,
                mtime: Optional[int] = None) -> None:
        path = self.parent(parts)
        if os.path.isdir(path) and not os.path.islink(path):
            raise IsADirectoryError(21, "Is a directory", os.fsdecode(path))
        tmp = path + b".%d.incomplete" % os.getpid()
        os.symlink(target, tmp)
        os.rename(tmp, path)
        if mtime is not None:
            _set_time(path, mtime)

    def finish(self, warn: Callable[[str], None]) -> None:
        # Directory times once everything is written (entries change
        # them), deepest first; one that is not ours only gets a warning.
        for path, ns in sorted(self.times, key=lambda x: -len(x[0])):
            try:
                _set_time(path, ns)
            except OSError as e:
                warn("%s: cannot set its modification time: %s"
                     % (os.fsdecode(path), e.strerror))
        # Children first, so a read-only directory could still be filled.
        for path, mode in sorted(self.created, key=lambda x: -len(x[0])):
            os.chmod(path, mode & 0o7777)


def _set_time(path: bytes, ns: int) -> None:
    """Sets path's modification time, never following a symlink."""
    st = os.lstat(path)
    os.utime(path, ns=(st.st_atime_ns, ns), follow_symlinks=False)


def get_dir(c: "Client", remote: Union[str, bytes], local: Any,
            checksum: bool, warn: Warn, preserve: bool = False
            ) -> TransferResult:
    warn = warn or _default_warn
    check_times(c, preserve)
    top = os.fsencode(local)
    rpath = remote if isinstance(remote, bytes) else os.fsencode(remote)
    c.send_frame(pb.Frame(get_dir=pb.GetDirRequest(path=rpath,
                                                   checksum=checksum)))
    res = TransferResult()
    failure: Optional[BaseException] = None
    made_top = False
    tree = _Tree(top)

    def local_step(fn: Callable[[], Any]) -> None:
        nonlocal failure
        if failure is None:
            try:
                fn()
            except OSError as e:
                failure = e

    def make_top() -> None:
        nonlocal made_top
        if not made_top:
            os.makedirs(top, exist_ok=True)
            made_top = True

    local_step(make_top)
    while True:
        f = c.recv_frame()
        kind = f.WhichOneof("body")
        if kind == "status":
            raise RemoteError.from_status(f.status)
        if kind == "end" and f.end.stream == pb.STREAM_DIR:
            if f.end.total_length != res.entries:
                raise TransferError("the server announced %d entries but "
                                    "sent %d" % (f.end.total_length,
                                                 res.entries))
            break
        if kind != "dir_entry":
            raise c._io_error("unexpected %s frame in a directory stream"
                              % kind)
        e = f.dir_entry
        res.entries += 1
        try:
            parts = check_name(e.name)
        except TransferError:
            c._broken = "the server sent a bad entry name"
            c.close()
            raise
        shown = os.fsdecode(e.name)
        mtime = (time_from_wire(c, e.mtime, shown)
                 if preserve and e.HasField("mtime") else None)
        if e.type == pb.ENTRY_FILE:
            out: List[Optional[AtomicFile]] = [None]

            def open_file() -> None:
                out[0] = AtomicFile(tree.parent(parts), e.mode or 0o644,
                                    mtime)
            local_step(open_file)
            af = out[0]
            try:
                n, _ = recv_stream(c, af.write if af else (lambda d: None),
                                   checksum, None, e.size_hint, shown)
            except BaseException:
                if af:
                    af.abort()
                raise
            if af:
                local_step(af.commit)
                if failure is not None:
                    af.abort()
            res.bytes += n
            res.files += 1
        elif e.type == pb.ENTRY_DIR:
            local_step(lambda: tree.mkdir(parts, e.mode))
            if mtime is not None:
                tree.times.append((os.path.join(top, *parts), mtime))
        elif e.type == pb.ENTRY_SYMLINK:
            local_step(lambda: tree.symlink(parts, e.link_target, mtime))
        else:
            warn("%s: not a regular file, directory or symlink on the "
                 "server; skipped" % shown)
            res.skipped += 1
    r = c.expect("transfer_result").transfer_result
    if preserve and r.HasField("mtime"):
        tree.times.append((top, time_from_wire(c, r.mtime, os.fsdecode(top))))
    local_step(lambda: tree.finish(warn))
    if failure is not None:
        raise failure
    if r.entries != res.entries:
        raise TransferError("the server counted %d entries, %d arrived"
                            % (r.entries, res.entries))
    return res
