#!/usr/bin/python3
"""Drives `pipeline run -t` through a real pseudo-terminal, as a user at a
terminal would: Python's pty module plays the local terminal, we type
into it and read the screen back.

Usage: tty_driver.py CASE PIPELINE_BIN CONF WORKDIR
Prints "ok ..." per passed check and "FAIL ..." per failed one; exits 1 on
any failure. Every wait has a deadline, so nothing here can hang.
"""
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

DEADLINE = 20.0  # seconds for any one expected output (loaded CI machine)

failures = 0
# Sleep lengths that name this run's remote processes, so runs side by side
# never see each other's.
MARK = [1000000 + os.getpid() * 3 + i for i in range(3)]


def ok(what):
    print("ok   [tty]: " + what, flush=True)


def fail(what):
    global failures
    failures += 1
    print("FAIL [tty]: " + what, flush=True)


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class Term:
    """A local terminal with a program on it."""

    def __init__(self, argv, rows=30, cols=100, env=None):
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.execvpe(argv[0], argv, env or os.environ)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        set_size(fd, rows, cols)
        self.buf = b""
        self.status = None

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        os.write(self.fd, data)

    def _read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: every program on the terminal is gone
            chunk = b""
        if not chunk:
            return None
        self.buf += chunk
        return True

    def expect(self, pattern, timeout=DEADLINE):
        """Waits for a regex in the output since the last match; returns
        the match or None."""
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = end - time.monotonic()
            if left <= 0:
                return None
            if self._read(left) is None:
                m = rx.search(self.buf)
                if m:
                    self.buf = self.buf[m.end():]
                return m

    def wait(self, timeout=DEADLINE):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self._read(0.05)
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = st
                return os.waitstatus_to_exitcode(st)
        return None

    def modes(self):
        # On the master, tcgetattr reads the terminal's (the slave's) modes.
        return termios.tcgetattr(self.fd)

    def kill(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.wait(5)


def remote_procs(marker):
    """Processes whose command line holds marker (the server runs here)."""
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(p))
        except OSError:
            pass
    return found


def wait_count(marker, n, timeout=DEADLINE):
    """Polls until exactly n processes hold marker (the shell prints its
    line before it execs the next command, so one look can be early)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if len(remote_procs(marker)) == n:
            return True
        time.sleep(0.05)
    return False


def wait_gone(marker, timeout=DEADLINE):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not remote_procs(marker):
            return True
        time.sleep(0.05)
    return False


def check(cond, what):
    if cond:
        ok(what)
    else:
        fail(what)
    return cond


def case_session(pl, conf, work):
    """The main session: a local shell runs the client, records its
    terminal modes before and after, and we work in the remote shell."""
    env = dict(os.environ, TERM="xterm-256color", PS1="local$ ")
    t = Term(["/bin/sh"], rows=30, cols=100, env=env)
    t.send("stty -g > %s/before; echo RE''ADY\r" % work)
    check(t.expect(r"READY\r?\n") is not None, "local shell is up")
    t.send("PS1='remote$ ' %s -c %s run -t -- /bin/sh -i; echo rc=$?\r" % (pl, conf))
    # A recognisable remote prompt: set PS1 in the remote shell.
    t.send("PS1='R''EMOTE> '\r")
    check(t.expect(r"REMOTE> ") is not None, "remote interactive shell prompt")
    # Quotes split the words we wait for, so the echo of what we type
    # never matches; only the command's output does.
    t.send("tty; stty size; echo TE''RM=$TERM\r")
    m = t.expect(r"(/dev/pts/\d+)\r\n(\d+) (\d+)\r\nTERM=(\S+)\r\n")
    if check(m is not None, "tty, stty size and TERM answered"):
        check(m.group(1).startswith(b"/dev/pts/"), "remote tty is a pty: %s" % m.group(1).decode())
        check(m.group(2, 3) == (b"30", b"100"), "remote size is the local 30x100: %s" % b" ".join(m.group(2, 3)).decode())
        check(m.group(4) == b"xterm-256color", "remote TERM is the local one: %s" % m.group(4).decode())
    t.expect(r"REMOTE> ")

    # Resize the local terminal: the client gets SIGWINCH and passes it on.
    set_size(t.fd, 40, 120)
    time.sleep(0.3)  # let SIGWINCH travel before the next command reads it
    t.send("stty size\r")
    m = t.expect(r"(\d+) (\d+)\r\n")
    check(m is not None and m.group(1, 2) == (b"40", b"120"),
          "remote size follows a local resize to 40x120: %s" % (m and b" ".join(m.group(1, 2)).decode()))
    t.expect(r"REMOTE> ")

    # A full-screen program: less, quit with q.
    with open(os.path.join(work, "page.txt"), "w") as f:
        f.write("".join("line %d of the page\n" % i for i in range(200)))
    t.send("less %s/page.txt; echo LESS_DONE=$?\r" % work)
    check(t.expect(r"line 5 of the page") is not None, "less shows the file")
    t.send("q")
    check(t.expect(r"LESS_DONE=0") is not None, "less quits with q")
    t.expect(r"REMOTE> ")
    if os.path.exists("/usr/bin/vi"):
        t.send("vi %s/page.txt\r" % work)
        check(t.expect(r"line 3 of the page") is not None, "vi shows the file")
        time.sleep(0.5)  # let vi settle: ESC followed at once by ':' reads as a key sequence
        t.send("\x1b")
        time.sleep(0.5)
        t.send(":q!\r")
        check(t.expect(r"REMOTE> ") is not None, "remote prompt back after vi")
        t.send("echo VI_''DONE\r")
        check(t.expect(r"VI_DONE\r\n") is not None, "vi quits with :q!")
        t.expect(r"REMOTE> ")

    # Ctrl-C typed goes through the terminal to the remote foreground job.
    t.send("sleep 100\r")
    check(t.expect(r"sleep 100\r\n") is not None, "remote sleep started")
    time.sleep(0.5)
    started = time.monotonic()
    t.send("\x03")
    check(t.expect(r"REMOTE> ", timeout=30) is not None and time.monotonic() - started < 30,
          "Ctrl-C interrupts a remote sleep 100 (prompt back in %.1f s)" % (time.monotonic() - started))
    t.send("echo ALIVE$((40+2))\r")
    check(t.expect(r"ALIVE42") is not None, "the remote shell survives Ctrl-C")
    t.expect(r"REMOTE> ")

    t.send("exit 3\r")
    check(t.expect(r"rc=3\r?\n") is not None, "exit 3 in the remote shell gives exit status 3")
    t.send("stty -g > %s/after; echo SA''VED\r" % work)
    check(t.expect(r"SAVED\r?\n") is not None, "local shell is back")
    with open(os.path.join(work, "before")) as a, open(os.path.join(work, "after")) as b:
        before, after = a.read(), b.read()
    check(before == after and before, "local terminal modes restored (stty -g identical)")
    t.send("exit\r")
    t.wait()
    t.kill()


def client_term(pl, conf, remote_cmd):
    env = dict(os.environ, TERM="xterm")
    return Term([pl, "-c", conf, "run", "-t", "--command", remote_cmd], env=env)


def case_signals(pl, conf, work):
    """Each way the client can end or stop puts the local modes back."""
    # SIGTERM: the session is hung up and the modes come back.
    t = client_term(pl, conf, "echo TERM_READY; exec sleep %d" % MARK[0])
    before = None
    check(t.expect(r"TERM_READY") is not None, "session for SIGTERM started")
    time.sleep(0.2)
    raw = t.modes()
    check(not (raw[3] & termios.ICANON) and not (raw[3] & termios.ECHO), "client put the terminal in raw mode")
    os.kill(t.pid, signal.SIGTERM)
    rc = t.wait()
    check(rc is not None, "client ends after SIGTERM (exit %s)" % rc)
    m = t.modes()
    check(m[3] & termios.ICANON and m[3] & termios.ECHO, "modes restored after SIGTERM")
    check(wait_gone("sleep\x00%d" % MARK[0]), "no remote process left after SIGTERM")
    t.kill()

    # SIGTSTP stops the client with the user's modes back; `fg` (SIGCONT)
    # makes it raw again. A job-control shell runs it, as a user's would:
    # in an orphaned process group the kernel would drop the stop.
    env = dict(os.environ, TERM="xterm", PS1="local$ ")
    t = Term(["/bin/sh", "-i"], env=env)
    check(t.expect(r"local\$ ") is not None, "job-control shell for SIGTSTP is up")
    t.send("%s -c %s run -t --command 'echo TSTP_READY; exec sleep %d'\r" % (pl, conf, MARK[1]))
    check(t.expect(r"TSTP_READY") is not None, "session for SIGTSTP started")
    time.sleep(0.2)
    client = [p for p in remote_procs("exec sleep %d" % MARK[1])]
    check(len(client) == 1, "client process found")
    cooked = None
    if client:
        os.kill(client[0], signal.SIGTSTP)
        check(t.expect(r"local\$ ") is not None, "client stops on SIGTSTP and the local shell is back")
        m = t.modes()
        check(m[3] & termios.ICANON and m[3] & termios.ECHO, "modes restored while stopped")
        t.send("fg\r")
        time.sleep(0.5)
        m = t.modes()
        check(not (m[3] & termios.ICANON) and not (m[3] & termios.ECHO), "raw mode again after fg (SIGCONT)")
        t.send("\x03")  # Ctrl-C through the terminal ends the remote sleep
        # The rest of the first command line went with the stop: ask the
        # shell for the status of the job fg resumed.
        check(t.expect(r"local\$ ") is not None, "client ended after Ctrl-C")
        t.send("echo rc=$?\r")
        mm = t.expect(r"rc=(\d+)")
        check(mm is not None and mm.group(1) == b"130",
              "Ctrl-C ends the remote command: exit %s (want 130)" % (mm and mm.group(1).decode()))
        m = t.modes()
        check(m[3] & termios.ICANON and m[3] & termios.ECHO, "modes restored after the remote command died")
    t.send("exit\r")
    t.wait(5)
    t.kill()

    # Killing the client (-9) leaves no remote process.
    t = client_term(pl, conf, "echo KILL_READY; exec sleep %d" % MARK[2])
    check(t.expect(r"KILL_READY") is not None, "session for SIGKILL started")
    check(wait_count("sleep\x00%d" % MARK[2], 1), "remote sleep is running")
    os.kill(t.pid, signal.SIGKILL)
    t.wait()
    check(wait_gone("sleep\x00%d" % MARK[2]), "no remote process left after the client is killed")


def case_shell(pl, conf, work):
    """`pipeline shell`: the server's shell, as a login shell, on a terminal."""
    t = Term([pl, "-c", conf, "shell"], env=dict(os.environ, TERM="xterm"))
    time.sleep(0.5)
    t.send("echo SHELL0=$0; case $- in *i*) echo INTER''ACTIVE;; esac; tty\r")
    m = t.expect(r"SHELL0=(\S+)\r\n")
    check(m is not None and m.group(1).endswith(b"sh"), "shell runs the server's shell: %s" % (m and m.group(1)))
    check(t.expect(r"INTERACTIVE\r\n") is not None, "the shell is interactive")
    check(t.expect(r"/dev/pts/\d+\r\n") is not None, "the shell is on a terminal")
    t.send("exit 5\r")
    rc = t.wait()
    check(rc == 5, "exit 5 in pipeline shell gives 5 (got %s)" % rc)
    t.kill()


def case_notty(pl, conf, work):
    """-t without a terminal is refused; -tt forces one."""
    import subprocess
    r = subprocess.run([pl, "-c", conf, "run", "-t", "--", "tty"], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=60)
    check(r.returncode == 2 and b"-tt" in r.stderr, "-t with no local terminal is refused (exit %d): %s"
          % (r.returncode, r.stderr.decode(errors="replace").strip()))
    r = subprocess.run([pl, "-c", conf, "run", "-tt", "--", "sh", "-c", "tty; stty size; echo T=$TERM"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                       env=dict(os.environ, TERM="vt100"))
    out = r.stdout.decode(errors="replace")
    check(r.returncode == 0 and re.search(r"/dev/pts/\d+", out) and "24 80" in out and "T=vt100" in out,
          "-tt forces a remote terminal (24x80, TERM passed): %r" % out)
    r = subprocess.run([pl, "-c", conf, "run", "-tt", "--", "sh", "-c", "echo out; echo err >&2; exit 7"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    check(r.returncode == 7 and b"out" in r.stdout and b"err" in r.stdout and not r.stderr,
          "a terminal merges stderr into stdout and keeps the exit status (exit %d)" % r.returncode)


def main():
    case, pl, conf, work = sys.argv[1:5]
    {"session": case_session, "signals": case_signals, "shell": case_shell,
     "notty": case_notty}[case](pl, conf, work)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
