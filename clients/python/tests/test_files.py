"""put_file/get_file/put_dir/get_dir against the C server."""
import hashlib
import io
import os
import time

import pytest

import pipeline_client as pc


def test_file_roundtrip_keeps_bytes_and_mode(pipeline_client, tmp_path):
    src = tmp_path / "src.bin"
    data = os.urandom(300_000)
    src.write_bytes(data)
    src.chmod(0o751)
    r = pipeline_client.put_file(src, str(tmp_path / "up" / "dst.bin"),
                                 checksum=True)
    assert r.bytes == len(data) and r.sha256 == hashlib.sha256(data).digest()
    up = tmp_path / "up" / "dst.bin"
    assert up.read_bytes() == data and (up.stat().st_mode & 0o777) == 0o751
    seen = []
    r = pipeline_client.get_file(str(up), tmp_path / "down" / "x.bin",
                                 checksum=True,
                                 progress=lambda d, t: seen.append((d, t)))
    down = tmp_path / "down" / "x.bin"
    assert down.read_bytes() == data and (down.stat().st_mode & 0o777) == 0o751
    assert r.sha256 == hashlib.sha256(data).digest()
    assert seen[-1] == (len(data), len(data))
    assert not [p for p in os.listdir(tmp_path / "down")
                if p.endswith(".incomplete")]


def test_trailing_slash_and_directory_destinations(pipeline_client, tmp_path):
    src = tmp_path / "name.txt"
    src.write_text("hello\n")
    (tmp_path / "remote").mkdir()
    pipeline_client.put_file(src, str(tmp_path / "remote") + "/")
    assert (tmp_path / "remote" / "name.txt").read_text() == "hello\n"
    (tmp_path / "local").mkdir()
    r = pipeline_client.get_file(str(tmp_path / "remote" / "name.txt"),
                                 tmp_path / "local")
    assert r.local == str(tmp_path / "local" / "name.txt")
    assert (tmp_path / "local" / "name.txt").read_text() == "hello\n"


def test_file_objects(pipeline_client, tmp_path):
    dst = str(tmp_path / "fromobj")
    pipeline_client.put_file(io.BytesIO(b"in memory"), dst)
    assert (tmp_path / "fromobj").read_bytes() == b"in memory"
    out = io.BytesIO()
    pipeline_client.get_file(dst, out)
    assert out.getvalue() == b"in memory"


def test_missing_remote_file_is_not_found_and_leaves_nothing(pipeline_client,
                                                             tmp_path):
    dest = tmp_path / "d" / "never"
    with pytest.raises(pc.RemoteError) as ei:
        pipeline_client.get_file(str(tmp_path / "missing"), dest)
    assert ei.value.code == pc.pb.CODE_NOT_FOUND
    assert "No such file or directory" in ei.value.message
    assert not dest.exists()
    assert pipeline_client.ping()


def test_put_onto_a_directory_fails_cleanly(pipeline_client, tmp_path):
    src = tmp_path / "f"
    src.write_bytes(b"x" * 1_000_000)
    (tmp_path / "isdir").mkdir()
    with pytest.raises(pc.RemoteError) as ei:
        pipeline_client.put_file(src, str(tmp_path / "isdir"))
    assert ei.value.code == pc.pb.CODE_FAILED_PRECONDITION
    assert pipeline_client.exec(["true"]).ok  # the connection is in sync


def _tree(root):
    out = {}
    for dp, dn, fn in os.walk(root):
        for n in dn + fn:
            p = os.path.join(dp, n)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if os.path.islink(p):
                out[rel] = ("link", os.readlink(p))
            elif os.path.isdir(p):
                out[rel] = ("dir", st.st_mode & 0o777)
            else:
                out[rel] = ("file", st.st_mode & 0o777, open(p, "rb").read())
    return out


def test_dir_roundtrip(pipeline_client, tmp_path):
    src = tmp_path / "src"
    (src / "a" / "b").mkdir(parents=True)
    (src / "empty").mkdir()
    (src / "a" / "b" / "f.txt").write_text("deep\n")
    (src / "big").write_bytes(os.urandom(200_000))
    (src / "x.sh").write_text("#!/bin/sh\n")
    (src / "x.sh").chmod(0o755)
    os.symlink("../a", src / "empty" / "up")
    os.symlink("/etc/passwd", src / "abs")
    (src / "a").chmod(0o700)
    (src / "a" / "b").chmod(0o500)  # read-only: filled anyway
    r = pipeline_client.put_dir(src, str(tmp_path / "remote"))
    assert r.files == 3 and r.entries == 8
    assert _tree(tmp_path / "remote") == _tree(src)
    r = pipeline_client.get_dir(str(tmp_path / "remote"), tmp_path / "back")
    assert r.files == 3 and r.entries == 8
    assert _tree(tmp_path / "back") == _tree(src)
    for d in (src, tmp_path / "remote", tmp_path / "back"):
        (d / "a" / "b").chmod(0o700)


def test_get_dir_of_missing_directory(pipeline_client, tmp_path):
    with pytest.raises(pc.RemoteError) as ei:
        pipeline_client.get_dir(str(tmp_path / "nope"), tmp_path / "out")
    assert ei.value.code == pc.pb.CODE_NOT_FOUND


def test_entry_names_are_checked():
    from pipeline_client._dirs import check_name
    assert check_name(b"a/b") == [b"a", b"b"]
    for bad in (b"", b"/etc", b"a/../b", b"..", b"a//b", b"./a", b"a/"):
        with pytest.raises(pc.TransferError):
            check_name(bad)


# 2001-02-03 04:05:06.123456789 UTC, and one before 1970.
OLD_NS = 981173106_123456789
ANCIENT_NS = -86400 * 10**9 + 5


def recent_ns():
    """A minute ago: anything written now is newer."""
    return time.time_ns() - 60 * 10**9


def _set_mtime(path, ns):
    os.utime(path, ns=(os.lstat(path).st_atime_ns, ns), follow_symlinks=False)


def test_file_preserve_keeps_mtime(pipeline_client, tmp_path):
    src = tmp_path / "src.txt"
    src.write_text("old\n")
    _set_mtime(src, OLD_NS)
    pipeline_client.put_file(src, str(tmp_path / "kept"), preserve=True)
    assert os.stat(tmp_path / "kept").st_mtime_ns == OLD_NS
    # Without preserve: the time it was written, as cp and scp do.
    pipeline_client.put_file(src, str(tmp_path / "fresh"))
    assert os.stat(tmp_path / "fresh").st_mtime_ns > recent_ns()
    _set_mtime(tmp_path / "kept", ANCIENT_NS)
    pipeline_client.get_file(str(tmp_path / "kept"), tmp_path / "down",
                             preserve=True)
    assert os.stat(tmp_path / "down").st_mtime_ns == ANCIENT_NS
    pipeline_client.get_file(str(tmp_path / "kept"), tmp_path / "down2")
    assert os.stat(tmp_path / "down2").st_mtime_ns > recent_ns()


def test_dir_preserve_keeps_file_and_dir_times(pipeline_client, tmp_path):
    src = tmp_path / "src"
    (src / "a" / "b").mkdir(parents=True)
    (src / "a" / "b" / "f").write_text("f\n")
    (src / "g").write_text("g\n")
    os.symlink("g", src / "link")
    names = ["a/b/f", "a/b", "a", "g", "link", "."]
    for i, name in enumerate(names):  # children before their parents
        _set_mtime(src / name, OLD_NS + i * 10**9 + i)

    def times(top):
        return {n: os.lstat(top / n).st_mtime_ns for n in names}

    want = times(src)
    pipeline_client.put_dir(src, str(tmp_path / "up"), preserve=True)
    assert times(tmp_path / "up") == want
    pipeline_client.get_dir(str(tmp_path / "up"), tmp_path / "down",
                            preserve=True)
    assert times(tmp_path / "down") == want
    pipeline_client.get_dir(str(tmp_path / "up"), tmp_path / "plain")
    assert all(t > recent_ns()
               for t in times(tmp_path / "plain").values())


def test_bad_mtime_is_refused(pipeline_client, tmp_path):
    c = pipeline_client
    dest = tmp_path / "dest"
    c.send_frame(pc.pb.Frame(put_file=pc.pb.PutFileRequest(
        path=os.fsencode(dest), mode=0o644,
        mtime=pc.pb.FileTime(sec=1, nsec=10**9))))
    c.send_frame(pc.pb.Frame(end=pc.pb.EndOfStream(
        stream=pc.pb.STREAM_FILE, total_length=0)))
    f = c.recv_frame()
    assert f.WhichOneof("body") == "status"
    assert f.status.code == pc.pb.CODE_INVALID_ARGUMENT
    assert "invalid modification time" in f.status.message
    assert not dest.exists()
    c.ping()  # the connection (and the server) carry on


def test_preserve_needs_a_server_that_keeps_times(pipeline_client, tmp_path):
    src = tmp_path / "src"
    src.write_text("x\n")
    assert "mtime" in pipeline_client.server_hello.features
    del pipeline_client.server_hello.features[:]  # as an older server's
    with pytest.raises(pc.TransferError, match="cannot keep modification"):
        pipeline_client.put_file(src, str(tmp_path / "dst"), preserve=True)
    with pytest.raises(pc.TransferError, match="cannot keep modification"):
        pipeline_client.get_dir(str(tmp_path), tmp_path / "down",
                                preserve=True)
    assert not (tmp_path / "dst").exists()
    assert not (tmp_path / "down").exists()
    pipeline_client.put_file(src, str(tmp_path / "dst"))
    assert (tmp_path / "dst").read_text() == "x\n"
