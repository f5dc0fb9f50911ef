"""Server addresses: `vsock:CID:PORT`, `tcp:HOST:PORT` (`[v6]` allowed) and
`unix:PATH`, as the C tool writes them."""

import socket
from typing import Optional, Tuple, Union

from .errors import ConnectError

SockAddr = Union[str, Tuple[str, int], Tuple[int, int]]


def parse_address(text: str) -> Tuple[Optional[int], SockAddr]:
    """(family, sockaddr) for an address; family None means TCP (resolved
    at connect time). Raises ValueError naming the accepted forms."""
    if text.startswith("unix:") and len(text) > 5:
        return socket.AF_UNIX, text[5:]
    if text.startswith("tcp:"):
        host, sep, port = text[4:].rpartition(":")
        if sep and host and port.isdigit() and int(port) <= 65535:
            if host.startswith("[") and host.endswith("]"):
                host = host[1:-1]
            return None, (host, int(port))
    if text.startswith("vsock:"):
        cid, sep, port = text[6:].partition(":")
        if sep and cid.isdigit() and port.isdigit():
            return socket.AF_VSOCK, (int(cid), int(port))
    raise ValueError("address %s: expected vsock:CID:PORT, tcp:HOST:PORT or "
                     "unix:PATH" % text)


def open_socket(address: str, timeout: Optional[float] = 5.0) -> socket.socket:
    """A connected stream socket to address (blocking, with timeout set).
    Raises ValueError for a malformed address, ConnectError otherwise."""
    family, sa = parse_address(address)
    try:
        if family is None:
            # create_connection tries every address the name resolves to.
            sock = socket.create_connection(sa, timeout=timeout)  # type: ignore[arg-type]
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(timeout)
                sock.connect(sa)
            except BaseException:
                sock.close()
                raise
    except socket.timeout:
        raise ConnectError("cannot connect to %s: no answer within %.1f s"
                           % (address, timeout or 0)) from None
    except OSError as e:
        raise ConnectError("cannot connect to %s: %s"
                           % (address, e.strerror or e)) from None
    return sock
