#!/bin/bash
# Rules of docs/PROTOCOL.md a second client written from the spec relies
# on, checked on the wire with the Python client: no_wait implies no_stdin,
# the ping payload bound, EndOfStream(STDIN).total_length, stdin sent
# before ExecStarted, PutFile paths ending in "/" and missing parents, and
# Data payloads up to what a message holds.
. "$(dirname "$0")/lib.sh"

cat >"$TESTROOT/conformance.py" <<'EOF'
import os
import sys
import time

sys.path.insert(0, os.path.join(sys.argv[1], "clients", "python"))
import pipeline_client as pc  # noqa: E402

pb = pc.pb
ADDR = sys.argv[2]
ROOT = sys.argv[3]
FAILED = False


def check(cond, what):
    global FAILED
    FAILED = FAILED or not cond
    print(("OK " if cond else "FAIL ") + what)


def until_terminal(c):
    seq = []
    while True:
        f = c.recv_frame()
        seq.append(f)
        if f.WhichOneof("body") in ("exec_result", "status",
                                    "transfer_result", "ping_result"):
            return seq


def kinds(seq):
    return [f.WhichOneof("body") for f in seq]


def still_usable(c, what):
    try:
        c.ping()
        check(True, "%s: the connection carries another call" % what)
    except pc.PipelineError as e:
        check(False, "%s: the connection is gone (%s)" % (what, e))


def closed_within(c, secs):
    c.sock.settimeout(secs)
    try:
        while c.sock.recv(65536):
            pass
        return True
    except ConnectionResetError:
        return True
    except OSError:
        return False


def put_file(c, path, chunks, total=None):
    c.send_frame(pb.Frame(put_file=pb.PutFileRequest(path=path, mode=0o640)))
    for ch in chunks:
        c.send_frame(pb.Frame(data=pb.Data(stream=pb.STREAM_FILE, data=ch)))
    n = sum(len(ch) for ch in chunks) if total is None else total
    c.send_frame(pb.Frame(end=pb.EndOfStream(stream=pb.STREAM_FILE,
                                             total_length=n)))
    return until_terminal(c)[-1]


# 13. no_wait without no_stdin: the result, then the connection goes on.
with pc.connect(ADDR) as c:
    c.send_frame(pb.Frame(exec=pb.ExecRequest(argv=[b"true"], no_wait=True)))
    seq = until_terminal(c)
    check(kinds(seq) == ["exec_started", "exec_result"]
          and seq[-1].exec_result.exit_code == 0,
          "no_wait without no_stdin: %s" % kinds(seq))
    still_usable(c, "no_wait without no_stdin")

# 14. Ping payloads: echoed up to the bound, a Status beyond it.
with pc.connect(ADDR) as c:
    r = c.ping(b"p" * 65000)
    check(len(r.payload) == 65000, "ping payload of 65000 bytes echoed")
    for n in (65001, 65400, pc.MAX_FRAME - 8):
        c.send_frame(pb.Frame(ping=pb.PingRequest(payload=b"q" * n)))
        f = c.recv_frame()
        check(f.WhichOneof("body") == "status"
              and f.status.code == pb.CODE_INVALID_ARGUMENT
              and "too long" in f.status.message,
              "ping payload of %d bytes: %s" % (n, f.status.message))
        still_usable(c, "refused ping of %d bytes" % n)

# 15a. EndOfStream(STDIN).total_length must match: DATA_LOSS otherwise,
# the command stopped, the connection closed.
with pc.connect(ADDR) as c:
    c.send_frame(pb.Frame(exec=pb.ExecRequest(
        argv=[b"sh", b"-c", b"cat >/dev/null; sleep 30"])))
    c.send_frame(pb.Frame(data=pb.Data(stream=pb.STREAM_STDIN,
                                       data=b"hello")))
    c.send_frame(pb.Frame(end=pb.EndOfStream(stream=pb.STREAM_STDIN,
                                             total_length=6)))
    t0 = time.monotonic()
    seq = until_terminal(c)
    f = seq[-1]
    check(f.WhichOneof("body") == "status"
          and f.status.code == pb.CODE_DATA_LOSS
          and "5 bytes arrived" in f.status.message,
          "stdin total_length 6 for 5 bytes: %s" % (
              f.status.message if f.WhichOneof("body") == "status"
              else kinds(seq)))
    check(closed_within(c, 10.0) and time.monotonic() - t0 < 10,
          "then the connection is closed and the command stopped")

# 15b. stdin sent right after the request, before ExecStarted: accepted,
# and a correct total_length ends it cleanly.
with pc.connect(ADDR) as c:
    c.send_frame(pb.Frame(exec=pb.ExecRequest(argv=[b"cat"])))
    c.send_frame(pb.Frame(data=pb.Data(stream=pb.STREAM_STDIN,
                                       data=b"early")))
    c.send_frame(pb.Frame(end=pb.EndOfStream(stream=pb.STREAM_STDIN,
                                             total_length=5)))
    seq = until_terminal(c)
    out = b"".join(f.data.data for f in seq if f.WhichOneof("body") == "data")
    check(out == b"early" and seq[-1].WhichOneof("body") == "exec_result"
          and seq[-1].exec_result.exit_code == 0,
          "stdin before ExecStarted: echoed %r" % out)
    still_usable(c, "stdin before ExecStarted")

# 15c. PutFile: a path ending in "/" is refused (naming the file is the
# client's job); missing parents are created; Data payloads larger than
# PL_CHUNK_MAX but within one message are accepted.
with pc.connect(ADDR) as c:
    f = put_file(c, b"/dir/", [b"x"])
    check(f.WhichOneof("body") == "status"
          and f.status.code == pb.CODE_FAILED_PRECONDITION,
          "PutFile to a path ending in '/': %s" % f.status.message)
    still_usable(c, "PutFile to a path ending in '/'")
    big = os.urandom(pc.MAX_CHUNK + 20)
    f = put_file(c, b"/new/parents/f", [big, b"tail"])
    check(f.WhichOneof("body") == "transfer_result"
          and f.transfer_result.bytes == len(big) + 4,
          "PutFile with missing parents and a %d-byte Data: %s"
          % (len(big), kinds([f])))
    with open(os.path.join(ROOT, "new/parents/f"), "rb") as fh:
        check(fh.read() == big + b"tail", "the file arrived whole")
    st = os.stat(os.path.join(ROOT, "new/parents"))
    check(st.st_mode & 0o777 == 0o755, "new parents get mode 0755 (%o)"
          % (st.st_mode & 0o777))

sys.exit(1 if FAILED else 0)
EOF

for transport in unix tcp; do
    R="$TESTROOT/root-$transport"
    mkdir -p "$R"
    start_server "$transport" "server = { root = \"$R\"; };"
    out=$(timeout 120 /usr/bin/python3 "$TESTROOT/conformance.py" \
        "$PIPELINE_SRC" "$ADDR" "$R" 2>&1)
    rc=$?
    while IFS= read -r line; do
        case $line in
        OK*) ok "${line#OK }" ;;
        *) fail "$line" ;;
        esac
    done <<<"$out"
    check "conformance script exited 0" test "$rc" = 0
    check "the stdin-length command was stopped" \
        eval '! pgrep -f "cat >/dev/null; sleep 30" >/dev/null'
    stop_server
    check "server log is free of sanitizer reports" \
        eval '! grep -qE "Sanitizer|runtime error" "$T/server.log"'
done
TRANSPORT=
finish
