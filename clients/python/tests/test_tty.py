"""exec(tty=...): a command on a remote terminal, driven through a local
pseudo-terminal from Python's pty module, as a user's terminal would."""
import os
import pty
import re
import threading
import time

import pytest

import pipeline_client as pc


def test_remote_terminal_has_the_given_term_size_and_merges_streams(
        pipeline_client):
    t = pc.Terminal(term="xterm-256color", rows=33, cols=91)
    r = pipeline_client.exec(
        command="tty; stty size; echo TERM=$TERM; echo err >&2; exit 4",
        tty=t)
    out = r.stdout.decode()
    assert r.exit_code == 4
    assert re.search(r"^/dev/pts/\d+\r$", out, re.M), out
    assert "33 91\r\n" in out and "TERM=xterm-256color\r\n" in out
    assert "err\r\n" in out and r.stderr == b""  # one stream, as a terminal


def test_typing_through_a_local_pty_with_its_modes_and_a_resize(
        pipeline_client):
    master, slave = pty.openpty()
    try:
        local = pc.Terminal.from_fd(slave, term="vt100")
        # The remote terminal copies the local erase character.
        assert local.modes["VERASE"] in (8, 127) and local.modes["ICANON"] == 1
        seen = bytearray()
        resized = threading.Event()

        def on_out(stream, data):
            seen.extend(data)
            if b"READY" in seen and not resized.is_set():
                resized.set()
                pipeline_client.resize(50, 132)
                # Typed on the local terminal, which hands lines to stdin.
                os.write(master, b"stty size; stty -a | grep -o 'erase = [^;]*'; exit 9\n")

        os.write(master, b"echo RE''ADY\n")
        r = pipeline_client.exec(command="read line; eval \"$line\"; "
                                 "sleep 0.5; read line; eval \"$line\"",
                                 tty=local, stdin=slave, on_output=on_out)
        out = bytes(seen).decode()
        assert r.exit_code == 9, out
        assert "50 132" in out, out
        erase = "^?" if local.modes["VERASE"] == 127 else "^H"
        assert "erase = " + erase in out, out
    finally:
        os.close(master)
        os.close(slave)


def test_ctrl_c_typed_interrupts_and_stdin_eof_ends_a_shell(pipeline_client):
    # Ctrl-C is a byte on the terminal; the shell survives, sleep does not.
    chunks = iter([b"sleep 100\n", b"\x03", b"echo AL''IVE\n", b""])

    def feed():
        time.sleep(0.3)
        return next(chunks)
    t0 = time.monotonic()
    r = pipeline_client.exec(["sh", "-i"], tty=pc.Terminal(term="dumb"),
                             stdin=feed)
    out = r.stdout.decode(errors="replace")
    assert "ALIVE" in out, out
    assert time.monotonic() - t0 < 60
    # EOF on stdin is the terminal's EOF character: the shell exits 0.
    assert r.exit_code == 0, out


def test_no_wait_with_a_terminal_is_refused_locally(pipeline_client):
    with pytest.raises(ValueError, match="cannot have a terminal"):
        pipeline_client.exec(["true"], tty=True, no_wait=True)
