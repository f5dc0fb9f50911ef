#!/usr/bin/python3
"""Resource-exhaustion clients for test_dos.sh.

Usage: dos.py SCENARIO ADDRESS [ARGS...]
Each scenario prints one line starting "OK" (and exits 0) when the server
behaved, or "FAIL ..." (exit 1). Raw scenarios use the socket module; the
others the Python client package (clients/python).
"""
import os
import socket
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))
import pipeline_client as pc  # noqa: E402


def fail(msg):
    print("FAIL " + msg)
    sys.stdout.flush()
    os._exit(1)


def framed(body):
    return struct.pack(">H", len(body)) + body


def hold(address, n, seconds):
    """Opens n raw connections that say nothing, prints READY, holds them."""
    socks = [pc.open_socket(address, timeout=5.0) for _ in range(int(n))]
    print("READY %d" % len(socks))
    sys.stdout.flush()
    time.sleep(float(seconds))
    for s in socks:
        s.close()
    print("OK held %d connections" % len(socks))


def drip(address, seconds):
    """Sends one byte every 20 ms for as long as the server reads them."""
    s = pc.open_socket(address, timeout=5.0)
    print("READY")
    sys.stdout.flush()
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < float(seconds):
            s.send(b"x")
            time.sleep(0.02)
    except OSError:
        pass
    print("OK dripped for %.1f s" % (time.monotonic() - t0))


def busy_answer(address, limit):
    """A fresh connection is told "server busy" within limit seconds."""
    t0 = time.monotonic()
    s = pc.open_socket(address, timeout=float(limit))
    s.settimeout(float(limit))
    try:
        s.sendall(framed(pc.PROTOCOL_LINE))
        got = b""
        while len(got) < 2 or len(got) < 2 + struct.unpack(">H", got[:2])[0]:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        fail("no answer within %s s (the accept loop is held)" % limit)
    except OSError as e:
        fail("connection failed: %s" % e)
    dt = time.monotonic() - t0
    if b"server busy" not in got:
        fail("answer was %r" % got[:100])
    print("OK told busy in %.2f s" % dt)


def getdir_stall(address, path, seconds):
    """Starts a GetDir and stops reading; prints READY and holds it."""
    c = pc.connect(address, timeout=10.0)
    c.send_frame(pc.pb.Frame(get_dir=pc.pb.GetDirRequest(path=path.encode())))
    # Read a little so the server is surely walking, then stall.
    f = c.recv_frame()
    if f.WhichOneof("body") != "dir_entry":
        fail("first frame was %s" % f.WhichOneof("body"))
    print("READY")
    sys.stdout.flush()
    time.sleep(float(seconds))
    c.close()
    print("OK stalled for %s s" % seconds)


def ping_status(address):
    """Connects and pings; prints the Status the server answers with."""
    try:
        c = pc.connect(address, timeout=10.0)
        c.ping(b"x")
        print("OK ping answered")
    except pc.RemoteStatus as e:
        print("STATUS %s" % e)
    except pc.PipelineError as e:
        print("ERROR %s" % e)


SCENARIOS = {
    "hold": hold,
    "drip": drip,
    "busy-answer": busy_answer,
    "getdir-stall": getdir_stall,
    "ping-status": ping_status,
}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in SCENARIOS:
        print("usage: dos.py {%s} ADDRESS [ARGS]" % ",".join(SCENARIOS))
        sys.exit(2)
    SCENARIOS[sys.argv[1]](sys.argv[2], *sys.argv[3:])
