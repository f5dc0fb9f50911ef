"""put_file/get_file/put_dir/get_dir against the C server."""
import hashlib
import io
import os

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
