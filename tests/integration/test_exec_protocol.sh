#!/bin/bash
# Exec on the wire, from the Python client built only from proto/ (what a
# third party would write): the frame order, a connection that carries
# another call after a clean exec, bad requests answered with a Status,
# unexpected frames during a call (Status, close, command killed), signals
# the server refuses, stdin sent after the command ended, long commands.
. "$(dirname "$0")/lib.sh"

# After stop_server: a sanitizer build reports errors and leaks in the log.
sanitizer_clean() { ! grep -qE 'Sanitizer|runtime error' "$T/server.log"; }

cat >"$TESTROOT/exec_wire.py" <<'EOF'
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(sys.argv[1], "clients", "python"))
import pipeline_client as pc  # noqa: E402

pb = pc.pb
ADDR = sys.argv[2]
MARK = "1000.%d" % os.getpid()


def check(cond, what):
    print(("OK " if cond else "FAIL ") + what)


def until_terminal(c):
    seq = []
    while True:
        f = c.recv_frame()
        seq.append(f)
        if f.WhichOneof("body") in ("exec_result", "status"):
            return seq


def kinds(seq):
    return [f.WhichOneof("body") for f in seq]


def stream(seq, sid):
    return b"".join(f.data.data for f in seq
                    if f.WhichOneof("body") == "data" and f.data.stream == sid)


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


def running(pattern):
    return subprocess.run(["pgrep", "-f", pattern],
                          stdout=subprocess.DEVNULL).returncode == 0


def gone(pattern, secs=5.0):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if not running(pattern):
            return True
        time.sleep(0.05)
    return False


def exec_frame(**kw):
    return pb.Frame(exec=pb.ExecRequest(**kw))


def stdin(data):
    return pb.Frame(data=pb.Data(stream=pb.STREAM_STDIN, data=data))


EOS_STDIN = pb.Frame(end=pb.EndOfStream(stream=pb.STREAM_STDIN))

# 1. Frame order; a call that ended cleanly leaves the connection usable.
with pc.connect(ADDR) as c:
    c.send_frame(exec_frame(argv=[b"sh", b"-c",
                                  b"cat; echo err >&2; exit 3"]))
    c.send_frame(stdin(b"hello"))
    c.send_frame(pb.Frame(end=pb.EndOfStream(stream=pb.STREAM_STDIN,
                                             total_length=5)))
    seq = until_terminal(c)
    k = kinds(seq)
    check(k[0] == "exec_started" and seq[0].exec_started.pid > 0,
          "ExecStarted comes first, with the pid")
    check(k[-1] == "exec_result" and seq[-1].exec_result.exit_code == 3
          and seq[-1].exec_result.signal == 0, "ExecResult ends the call: exit 3")
    out, err = stream(seq, pb.STREAM_STDOUT), stream(seq, pb.STREAM_STDERR)
    check(out == b"hello" and err == b"err\n", "stdout and stderr Data")
    ends = {f.end.stream: f.end.total_length for f in seq
            if f.WhichOneof("body") == "end"}
    check(ends == {pb.STREAM_STDOUT: 5, pb.STREAM_STDERR: 4},
          "EndOfStream for stdout and stderr with their totals: %r" % ends)
    c.ping()
    check(True, "ping on the same connection after an exec that ended stdin")
    c.send_frame(exec_frame(command=b"echo again", no_stdin=True))
    seq = until_terminal(c)
    check(stream(seq, pb.STREAM_STDOUT) == b"again\n"
          and kinds(seq)[-1] == "exec_result",
          "a second exec (no_stdin) on the same connection")
    c.send_frame(exec_frame(argv=[b"printf", b"%s", b"\xff\xfe"],
                           no_stdin=True))
    seq = until_terminal(c)
    check(stream(seq, pb.STREAM_STDOUT) == b"\xff\xfe",
          "non-UTF-8 argv bytes reach the command")
    big = b"echo " + b"x" * 60000
    c.send_frame(exec_frame(command=big, no_stdin=True))
    seq = until_terminal(c)
    check(len(stream(seq, pb.STREAM_STDOUT)) == 60001,
          "a 60 KB command (the original crashed past 8 KiB)")

# 2. Bad requests: a Status each; with no_stdin the connection stays usable.
with pc.connect(ADDR) as c:
    for what, req, text in (
            ("argv with a NUL byte", dict(argv=[b"ec\0ho"]), "NUL"),
            ("argv and command both", dict(argv=[b"true"], command=b"true"),
             "not both"),
            ("neither argv nor command", dict(), "no command"),
            ("env entry without =", dict(argv=[b"true"], env=[b"FOO"]),
             "NAME=value")):
        c.send_frame(exec_frame(no_stdin=True, **req))
        f = c.recv_frame()
        check(f.WhichOneof("body") == "status"
              and f.status.code == pb.CODE_INVALID_ARGUMENT
              and text in f.status.message,
              "%s: INVALID_ARGUMENT (%s)" % (what, f.status.message))
    c.ping()
    check(True, "the connection still serves after refused requests")

# 3. Unexpected frames during a call: Status, close, and the command dies.
for what, bad, text in (
        ("a ping inside exec", pb.Frame(ping=pb.PingRequest(payload=b"x")),
         "unexpected ping"),
        ("stdout data from the client",
         pb.Frame(data=pb.Data(stream=pb.STREAM_STDOUT, data=b"x")),
         "only send stdin"),
        ("stdin after its end", None, "after the end of stdin")):
    m = MARK + str(len(what))
    with pc.connect(ADDR) as c:
        c.send_frame(exec_frame(argv=[b"sleep", m.encode()]))
        check(c.recv_frame().WhichOneof("body") == "exec_started",
              "%s: started" % what)
        if bad is None:
            c.send_frame(EOS_STDIN)
            bad = stdin(b"late")
        c.send_frame(bad)
        f = c.recv_frame()
        check(f.WhichOneof("body") == "status"
              and f.status.code == pb.CODE_INVALID_ARGUMENT
              and text in f.status.message,
              "%s: INVALID_ARGUMENT (%s)" % (what, f.status.message))
        check(closed_within(c, 5.0), "%s: connection closed" % what)
    check(gone("^sleep " + m), "%s: the command was killed" % what)

# 4. Signals: one the server does not forward is ignored; TERM is not.
with pc.connect(ADDR) as c:
    c.send_frame(exec_frame(argv=[b"sleep", b"5"], no_stdin=True))
    c.recv_frame()
    c.send_frame(pb.Frame(signal=pb.Signal(signo=19)))  # SIGSTOP
    c.send_frame(pb.Frame(signal=pb.Signal(signo=-5)))
    t0 = time.monotonic()
    c.send_frame(pb.Frame(signal=pb.Signal(signo=15)))
    seq = until_terminal(c)
    r = seq[-1].exec_result
    check(r.signal == 15 and r.exit_code == 143 and time.monotonic() - t0 < 3,
          "SIGSTOP and -5 ignored, SIGTERM delivered: signal %d" % r.signal)

# 5. Stdin still coming after the command ended: the answer arrives, then
# the server closes (it cannot tell where the next call would start).
with pc.connect(ADDR) as c:
    c.send_frame(exec_frame(argv=[b"true"]))
    for _ in range(8):
        c.send_frame(stdin(os.urandom(60000)))
    seq = until_terminal(c)
    check(kinds(seq)[-1] == "exec_result"
          and seq[-1].exec_result.exit_code == 0,
          "result arrives though stdin never ended")
    t0 = time.monotonic()
    check(closed_within(c, 5.0),
          "then the connection is closed (%.2f s)" % (time.monotonic() - t0))

# 6. A spawn failure: an ExecResult with spawn_error, no ExecStarted.
with pc.connect(ADDR) as c:
    c.send_frame(exec_frame(argv=[b"/nonexistent/prog"], no_stdin=True))
    seq = until_terminal(c)
    r = seq[-1].exec_result
    check(kinds(seq) == ["exec_result"] and r.exit_code == 127
          and r.spawn_error == "/nonexistent/prog: No such file or directory",
          "spawn failure: ExecResult 127, spawn_error %r" % r.spawn_error)
    c.send_frame(exec_frame(argv=[b"/etc"], no_stdin=True, no_wait=True))
    seq = until_terminal(c)
    r = seq[-1].exec_result
    check(kinds(seq) == ["exec_result"] and r.exit_code == 126,
          "no_wait spawn failure: ExecResult 126 (%s)" % r.spawn_error)
    c.send_frame(exec_frame(argv=[b"true"], no_stdin=True, no_wait=True))
    seq = until_terminal(c)
    check(kinds(seq) == ["exec_started", "exec_result"]
          and seq[-1].exec_result.exit_code == 0,
          "no_wait: ExecStarted then ExecResult 0")
EOF

for transport in unix tcp; do
    start_server "$transport" "server: { kill_grace = 1; };"
    /usr/bin/python3 "$TESTROOT/exec_wire.py" "$PIPELINE_SRC" "$ADDR" >"$T/wire.out" 2>&1
    rc=$?
    while IFS= read -r line; do
        case "$line" in
        "OK "*) ok "${line#OK }" ;;
        "FAIL "*) fail "${line#FAIL }" ;;
        *) echo "     $line" ;;
        esac
    done <"$T/wire.out"
    check "the wire script ran to its end (exit $rc)" [ "$rc" = 0 ]
    check "the server logged the refused signal" grep -q "ignored signal 19" "$T/server.log"
    check "the server survived" server_alive
    stop_server
    check "no sanitizer report in the server log" sanitizer_clean
done

finish
