"""Terminals for exec(tty=...): what the remote pseudo-terminal should look
like (TERM, size, modes), read off a local terminal or given by hand.

The modes travel by their termios names (docs/PROTOCOL.md, "Exec on a
terminal"); the server ignores names it does not know.
"""
import fcntl
import os
import struct
import termios
from dataclasses import dataclass, field
from typing import Dict, Optional

# Control characters by name, and the flags the server sets, grouped by
# the termios field they live in (attribute index in tcgetattr's list).
_CC = ("VINTR VQUIT VERASE VKILL VEOF VEOL VEOL2 VSTART VSTOP VSUSP "
       "VREPRINT VWERASE VLNEXT VDISCARD").split()
_FLAGS = {
    0: "IGNCR ICRNL INLCR IXON IXANY IXOFF IMAXBEL IUTF8".split(),
    1: "OPOST ONLCR".split(),
    3: "ISIG ICANON ECHO ECHOE ECHOK ECHONL ECHOCTL ECHOKE IEXTEN NOFLSH "
       "TOSTOP".split(),
}


def modes_of(attrs: list) -> Dict[str, int]:
    """The modes of a tcgetattr() list, by name."""
    cc = attrs[6]
    modes: Dict[str, int] = {}
    for name in _CC:
        if hasattr(termios, name):
            v = cc[getattr(termios, name)]
            modes[name] = v[0] if isinstance(v, bytes) else int(v)
    for index, names in _FLAGS.items():
        for name in names:
            if hasattr(termios, name):
                modes[name] = int(bool(attrs[index] & getattr(termios, name)))
    return modes


@dataclass
class Terminal:
    """The remote terminal of a command: TERM, rows x cols (0: 24x80) and
    termios modes by name (empty: the server's defaults)."""
    term: str = field(default_factory=lambda: os.environ.get("TERM") or "dumb")
    rows: int = 0
    cols: int = 0
    modes: Dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_fd(cls, fd: int, term: Optional[str] = None) -> "Terminal":
        """Copies a local terminal's size and modes (take them before
        putting it in raw mode)."""
        t = cls() if term is None else cls(term=term)
        t.rows, t.cols = window_size(fd)
        t.modes = modes_of(termios.tcgetattr(fd))
        return t


def window_size(fd: int) -> tuple:
    """(rows, cols) of a local terminal."""
    packed = fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8)
    rows, cols, _, _ = struct.unpack("HHHH", packed)
    return rows, cols
