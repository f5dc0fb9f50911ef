"""Static keys and the known-servers file, in the C tool's formats.

Keys are X25519, printed as standard base64 of the 32 raw bytes (44
characters), WireGuard style. A key file holds the private key in base64 and
must not be readable by others. A known-servers file has `ADDRESS KEY`
lines; the first contact with an address records its key, a later mismatch
is an error naming both keys (ssh's known_hosts, by address).
"""

import base64
import fcntl
import os
from typing import Optional, Union

from dissononce.dh.keypair import KeyPair
from dissononce.dh.x25519.private import PrivateKey
from dissononce.dh.x25519.x25519 import X25519DH

from .errors import HandshakeError, ServerKeyMismatch

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

__all__ = [
    "KeyPair", "generate_keypair", "keypair_from_private", "load_key_file",
    "key_to_base64", "key_from_base64", "public_key", "check_known_server",
    "user_path",
]


def user_path(name: str) -> str:
    """A per-user file as the C tool finds it: $XDG_CONFIG_HOME/pipeline/NAME
    (an absolute XDG_CONFIG_HOME only), else ~/.config/pipeline/NAME."""
    xdg = os.environ.get("XDG_CONFIG_HOME", "")
    base = xdg if xdg.startswith("/") else os.path.expanduser("~/.config")
    return os.path.join(base, "pipeline", name)


def key_to_base64(key: bytes) -> str:
    """44-character base64 text of a 32-byte key."""
    return base64.b64encode(bytes(key)).decode("ascii")


def key_from_base64(text: Union[str, bytes]) -> bytes:
    """The 32 raw bytes of a base64 key; text after the key (a comment) is
    ignored. Raises ValueError on anything else."""
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    words = text.split()
    word = words[0] if words else ""
    try:
        raw = base64.b64decode(word, validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ValueError("%r is not a key (expected 44 characters of base64)"
                         % word[:60])
    return raw


def generate_keypair() -> KeyPair:
    """A fresh static key pair."""
    return X25519DH().generate_keypair()


def keypair_from_private(private: bytes) -> KeyPair:
    """The key pair of 32 raw private-key bytes."""
    return X25519DH().generate_keypair(PrivateKey(bytes(private)))


def public_key(kp: KeyPair) -> bytes:
    """The 32 raw bytes of the public half."""
    return bytes(kp.public.data)


def load_key_file(path: PathLike, create: bool = True) -> KeyPair:
    """Reads a base64 private key file (`pipeline keygen` format).

    When the file does not exist and create is true, a new key is written
    there with mode 0600 (parents created 0700). A file readable by group or
    others is refused, as the C tool does. A leading ~ is expanded. Raises
    OSError or ValueError.
    """
    path = os.path.expanduser(os.fspath(path))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        if not create:
            raise
        kp = generate_keypair()
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, mode=0o700, exist_ok=True)
        # Written whole under a temporary name, then linked into place, so
        # a concurrent reader never sees a half-written key.
        tmp = "%s.%d.tmp" % (path, os.getpid())
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC,
                     0o600)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(key_to_base64(kp.private.data) + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.link(tmp, path)
        except FileExistsError:  # another process created it first
            return load_key_file(path, create=False)
        finally:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        return kp
    with os.fdopen(fd, "rb") as f:
        mode = os.fstat(f.fileno()).st_mode
        if mode & 0o077:
            shown = os.fsdecode(path)
            raise ValueError("key file %s is readable by others (mode %03o); "
                             "run chmod 600 %s" % (shown, mode & 0o777, shown))
        text = f.read(128)
    try:
        return keypair_from_private(key_from_base64(text))
    except ValueError:
        raise ValueError("key file %s does not hold a base64 private key"
                         % os.fsdecode(path)) from None


def check_known_server(path: PathLike, address: str, key: bytes) -> bool:
    """Checks key against the line for address in a known-servers file.

    Returns True when the key was recorded now (first contact), False when
    it matched. Raises ServerKeyMismatch on a different recorded key and
    HandshakeError when the file is damaged or cannot be written. The file
    is locked while it is read and appended, so concurrent first contacts
    record one line. A leading ~ in path is expanded.
    """
    path = os.path.expanduser(os.fspath(path))
    shown = os.fsdecode(path)
    parent = os.path.dirname(path)
    try:
        if parent:
            os.makedirs(parent, mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC,
                     0o600)
    except OSError as e:
        raise HandshakeError("cannot open known servers file %s: %s"
                             % (shown, e.strerror)) from None
    with os.fdopen(fd, "r+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        recorded: Optional[bytes] = None
        for raw in f.read().splitlines():
            line = raw.strip()
            if not line or line.startswith(b"#"):
                continue
            fields = line.split(None, 1)
            if fields[0].decode("utf-8", "replace") != address:
                continue
            try:
                recorded = key_from_base64(fields[1] if len(fields) > 1
                                           else b"")
            except ValueError:
                raise HandshakeError(
                    "%s has a damaged line for %s (not a base64 key); fix or "
                    "remove it" % (shown, address)) from None
            break
        if recorded is None:
            try:
                f.write(("%s %s\n" % (address, key_to_base64(key)))
                        .encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())
            except OSError as e:
                raise HandshakeError("cannot write %s: %s"
                                     % (shown, e.strerror)) from None
            return True
        if recorded != bytes(key):
            raise ServerKeyMismatch(
                "the server at %s presented key %s, but %s records %s for it. "
                "If the server's key was changed on purpose, remove that "
                "line; otherwise someone may be impersonating the server"
                % (address, key_to_base64(key), shown,
                   key_to_base64(recorded)), recorded, bytes(key))
        return False
