"""`python3 -m pipeline_client` and the old script keep their command line."""
import os
import subprocess
import sys

import pytest

import pipeline_client as pc

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)


def run(args, **kw):
    env = dict(os.environ, PYTHONPATH=SRC)
    return subprocess.run([sys.executable] + args, capture_output=True,
                          env=env, timeout=60, **kw)


@pytest.mark.parametrize("entry", [["-m", "pipeline_client"],
                                   [os.path.join(SRC, "pipeline_client.py")]])
def test_ping_and_exec(entry, pipeline_server):
    pin = ["--server-key", pc.key_to_base64(pipeline_server.server_key)]
    p = run(entry + ["--address", pipeline_server.address] + pin
            + ["ping", "--payload", "hi"])
    assert p.returncode == 0, p.stderr
    assert b"payload: hi\n" in p.stdout
    p = run(entry + ["--address", pipeline_server.address, "exec", "-n",
                     "--", "sh", "-c", "echo o; echo e >&2; exit 7"])
    assert (p.returncode, p.stdout, p.stderr) == (7, b"o\n", b"e\n")
    p = run(entry + ["--address", pipeline_server.address, "exec",
                     "--command", "tr a-z A-Z"], input=b"shout\n")
    assert (p.returncode, p.stdout) == (0, b"SHOUT\n")


def test_exit_codes(pipeline_server, tmp_path):
    addr = ["--address", pipeline_server.address]
    wrong = pc.key_to_base64(pc.public_key(pc.generate_keypair()))
    p = run(["-m", "pipeline_client"] + addr + ["--server-key", wrong, "ping"])
    assert p.returncode == 255 and b"server key mismatch" in p.stderr
    p = run(["-m", "pipeline_client"] + addr
            + ["exec", "--time-limit", "1", "sleep", "20"])
    assert p.returncode == 124
    p = run(["-m", "pipeline_client"] + addr
            + ["get-file", str(tmp_path / "missing"), str(tmp_path / "x")])
    assert p.returncode == 1
    assert b"CODE_NOT_FOUND: " in p.stderr and b"No such file" in p.stderr
    p = run(["-m", "pipeline_client"] + ["--address", "bogus", "ping"])
    assert p.returncode == 2
    p = run(["-m", "pipeline_client", "--address",
             "unix:%s/none.sock" % tmp_path, "ping"])
    assert p.returncode == 255 and b"cannot connect" in p.stderr


def test_file_commands(pipeline_server, tmp_path):
    addr = ["-m", "pipeline_client", "--address", pipeline_server.address]
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_bytes(b"data")
    assert run(addr + ["put-dir", str(tmp_path / "d"),
                       str(tmp_path / "r")]).returncode == 0
    p = run(addr + ["get-file", "--checksum", str(tmp_path / "r" / "f"),
                    str(tmp_path / "out")])
    assert p.returncode == 0
    assert (tmp_path / "out").read_bytes() == b"data"
    assert p.stdout.split()[0].decode() == \
        "3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7"
    # -p: the copy keeps the source's modification time.
    os.utime(tmp_path / "d" / "f", ns=(0, 981173106_123456789))
    assert run(addr + ["put-file", "-p", str(tmp_path / "d" / "f"),
                       str(tmp_path / "kept")]).returncode == 0
    assert os.stat(tmp_path / "kept").st_mtime_ns == 981173106_123456789
