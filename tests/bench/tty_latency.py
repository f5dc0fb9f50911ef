#!/usr/bin/python3
"""Keystroke round trip through a remote terminal: type one character into
a local pseudo-terminal running the client, and time until the remote
terminal's echo of it comes back. Several clients are measured in
interleaved rounds (A, B, A, B, ...), since wall times here swing a lot.

Usage: tty_latency.py KEYS ROUNDS NAME=COMMAND [NAME=COMMAND ...]
COMMAND is run by /bin/sh on a fresh local terminal and must put it in
raw mode and start a remote `cat` on a terminal (e.g. `pipeline run -t --
cat`, `ssh -tt host cat`). Prints the
median and 90th percentile per client; never fails on a time.
"""
import os
import pty
import select
import signal
import statistics
import sys
import termios
import time


def start(cmd):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv("/bin/sh", ["/bin/sh", "-c", cmd])
    return pid, fd


def wait_for(fd, want, timeout=30.0):
    buf = b""
    end = time.monotonic() + timeout
    while want not in buf:
        left = end - time.monotonic()
        if left <= 0:
            raise RuntimeError("no echo of %r; got %r" % (want, buf[-200:]))
        r, _, _ = select.select([fd], [], [], left)
        if r:
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError("client exited; got %r" % buf[-200:])
            buf += chunk


def round_trips(cmd, keys):
    pid, fd = start(cmd)
    try:
        # Ready once the client has put its terminal in raw mode (so no
        # echo is local any more) and a marker typed in comes back from
        # the remote terminal.
        end = time.monotonic() + 30
        while termios.tcgetattr(fd)[3] & termios.ECHO:
            if time.monotonic() > end:
                raise RuntimeError("the client never set raw mode")
            time.sleep(0.01)
        os.write(fd, b"ready")
        wait_for(fd, b"ready")
        times = []
        for i in range(keys):
            ch = bytes([ord("a") + i % 26])
            t0 = time.perf_counter()
            os.write(fd, ch)
            wait_for(fd, ch)
            times.append((time.perf_counter() - t0) * 1e6)
        return times
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def main():
    keys, rounds = int(sys.argv[1]), int(sys.argv[2])
    clients = [a.split("=", 1) for a in sys.argv[3:]]
    results = {name: [] for name, _ in clients}
    for _ in range(rounds):
        for name, cmd in clients:
            results[name] += round_trips(cmd, keys)
    base = None
    for name, _ in clients:
        t = sorted(results[name])
        med = statistics.median(t)
        p90 = t[int(len(t) * 0.9) - 1]
        base = base or med
        print("  %-28s median %7.0f us   p90 %7.0f us   (%d keys; %.2fx the first)"
              % (name, med, p90, len(t), med / base))


if __name__ == "__main__":
    main()
