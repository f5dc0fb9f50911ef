#!/usr/bin/python3
"""Misbehaving clients for test_hostile.sh.

Usage: hostile.py SCENARIO ADDRESS
Prints one line starting "OK" and exits 0 when the server behaved as it
should (closed the connection, answered with the right error), or prints
what went wrong and exits 1. Raw scenarios use the socket module only; the
after-handshake ones use the Python client package (clients/python).
"""
import os
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))
import pipeline_client as pc  # noqa: E402

LINE = pc.PROTOCOL_LINE


def framed(body):
    return struct.pack(">H", len(body)) + body


def raw_connect(address):
    return pc.open_socket(address, timeout=5.0)


def wait_closed(sock, limit):
    """Reads until EOF; returns (seconds, bytes received before EOF)."""
    t0 = time.monotonic()
    got = b""
    sock.settimeout(limit)
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
    except ConnectionResetError:
        pass
    except socket.timeout:
        fail("server kept the connection open for more than %.1f s" % limit)
    return time.monotonic() - t0, got


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def garbage(address):
    s = raw_connect(address)
    s.sendall(os.urandom(4096))
    s.shutdown(socket.SHUT_WR)
    secs, _ = wait_closed(s, 5.0)
    print("OK garbage: closed after %.2f s" % secs)


def long_garbage_message(address):
    # A header announcing 65535 bytes, part of them, then silence.
    s = raw_connect(address)
    s.sendall(b"\xff\xff" + os.urandom(1000))
    secs, _ = wait_closed(s, 5.0)
    print("OK partial long message: closed after %.2f s" % secs)


def truncated(address):
    # The protocol line, then half of message 1 (32 bytes of e), then close.
    s = raw_connect(address)
    s.sendall(framed(LINE) + struct.pack(">H", 32) + os.urandom(16))
    s.close()
    print("OK truncated handshake sent")


def truncated_wait(address):
    # The same, but stay connected: the server must time out on its own.
    s = raw_connect(address)
    s.sendall(framed(LINE) + struct.pack(">H", 32) + os.urandom(16))
    secs, _ = wait_closed(s, 5.0)
    print("OK truncated handshake, client stays: closed after %.2f s" % secs)


def silent(address):
    s = raw_connect(address)
    secs, got = wait_closed(s, 5.0)
    if got:
        fail("server sent %d bytes to a silent client" % len(got))
    print("OK silent: closed after %.2f s" % secs)
    # For the caller: seconds on their own line.
    print("%.3f" % secs)


def slow_drip(address):
    # The protocol line one byte at a time, each well inside the per-read
    # timeout: only an overall handshake deadline stops this.
    s = raw_connect(address)
    data = framed(LINE)
    t0 = time.monotonic()
    try:
        for b in data:
            s.sendall(bytes([b]))
            time.sleep(0.3)
    except (BrokenPipeError, ConnectionResetError):
        pass
    secs = time.monotonic() - t0
    if secs >= 0.3 * len(data) - 0.1:
        secs2, _ = wait_closed(s, 5.0)
        secs += secs2
    print("OK slow drip: closed after %.2f s" % secs)
    print("%.3f" % secs)


def wrong_line(address):
    s = raw_connect(address)
    s.sendall(framed(b"pipeline/9 Noise_XX_448_AESGCM_BLAKE2b"))
    secs, got = wait_closed(s, 5.0)
    if len(got) < 2:
        fail("no answer to a wrong protocol line")
    (n,) = struct.unpack(">H", got[:2])
    body = got[2:2 + n]
    if len(got) != 2 + n or not body.startswith(b"error: "):
        fail("answer is not one framed 'error: ' line: %r" % got[:80])
    print("OK wrong line answered: %s" % body.decode("ascii", "replace"))


def expect_status_then_close(c, what, code, text):
    try:
        f = c.recv_frame()
    except pc.PipelineError as e:
        fail("%s: no Status before the close (%s)" % (what, e))
    if f.WhichOneof("body") != "status":
        fail("%s: got a %s frame" % (what, f.WhichOneof("body")))
    if f.status.code != code or text not in f.status.message:
        fail("%s: Status %d %r" % (what, f.status.code, f.status.message))
    secs, rest = wait_closed(c.sock, 5.0)
    if rest:
        fail("%s: %d more bytes after the Status" % (what, len(rest)))
    print("OK %s: Status %s (%s), then closed"
          % (what, pc.pb.Code.Name(code), f.status.message))


def junk_frame(address):
    # A maximum-length message of junk: fails authentication.
    with pc.connect(address, timeout=5.0) as c:
        c.send_raw(b"\xff\xff" + os.urandom(65535))
        expect_status_then_close(c, "65535-byte junk message",
                                 pc.pb.CODE_INVALID_ARGUMENT,
                                 "failed authentication")


def junk_plaintext(address):
    # Correctly sealed, largest possible, but not a Frame.
    with pc.connect(address, timeout=5.0) as c:
        c.send_encrypted(b"\xff" * pc.MAX_FRAME)
        expect_status_then_close(c, "sealed junk of %d bytes" % pc.MAX_FRAME,
                                 pc.pb.CODE_INVALID_ARGUMENT,
                                 "not a valid Frame")


def not_a_call(address):
    # A valid Frame that cannot open a call.
    with pc.connect(address, timeout=5.0) as c:
        c.send_frame(pc.pb.Frame(data=pc.pb.Data(stream=pc.pb.STREAM_STDIN,
                                                 data=b"x")))
        expect_status_then_close(c, "Data frame as a call",
                                 pc.pb.CODE_INVALID_ARGUMENT,
                                 "cannot start")


def zero_length(address):
    with pc.connect(address, timeout=5.0) as c:
        c.send_raw(b"\x00\x00")
        expect_status_then_close(c, "zero-length message",
                                 pc.pb.CODE_INVALID_ARGUMENT, "zero-length")


def bad_mtime(address):
    # Upload times with a second's worth of nanoseconds or more: refused
    # with a Status before anything is created; the connection carries on.
    import tempfile
    pb = pc.pb
    with tempfile.TemporaryDirectory(prefix="pl-hostile-mtime.") as d:
        dest = os.path.join(d, "f").encode()
        with pc.connect(address, timeout=5.0) as c:
            for nsec in (10**9, 2**32 - 1):
                c.send_frame(pb.Frame(put_file=pb.PutFileRequest(
                    path=dest, mtime=pb.FileTime(sec=-2**63, nsec=nsec))))
                c.send_frame(pb.Frame(end=pb.EndOfStream(
                    stream=pb.STREAM_FILE, total_length=0)))
                f = c.recv_frame()
                if (f.WhichOneof("body") != "status" or
                        f.status.code != pb.CODE_INVALID_ARGUMENT or
                        "invalid modification time" not in f.status.message):
                    fail("nsec %d: got %s" % (nsec, f))
            c.ping()
        if os.listdir(d):
            fail("bad mtime: the server created %s" % os.listdir(d))
    print("OK bad mtime: refused with CODE_INVALID_ARGUMENT, connection kept")


def half_frame(address):
    # After the handshake: half a message, then hang up.
    with pc.connect(address, timeout=5.0) as c:
        c.send_raw(b"\x10\x00" + os.urandom(100))
    print("OK half a transport message sent, then closed")


SCENARIOS = {f.__name__.replace("_", "-"): f for f in (
    garbage, long_garbage_message, truncated, truncated_wait, silent, slow_drip,
    wrong_line, junk_frame, junk_plaintext, not_a_call, zero_length,
    bad_mtime, half_frame)}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in SCENARIOS:
        print("usage: hostile.py {%s} ADDRESS" % ",".join(SCENARIOS))
        sys.exit(2)
    SCENARIOS[sys.argv[1]](sys.argv[2])
