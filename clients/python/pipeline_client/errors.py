"""Exceptions raised by the client.

Everything the package raises on purpose derives from PipelineError. A call
the server refused or failed carries the wire Status code (RemoteError);
connection, handshake and framing problems are the other subclasses. Local
file problems (a destination that cannot be written) stay OSError.
"""

from typing import Optional

from . import pipeline_pb2 as pb


class PipelineError(Exception):
    """Connection, handshake or protocol failure (the C tool exits 255)."""


class ConnectError(PipelineError):
    """The transport could not be opened, or the peer went silent."""


class HandshakeError(PipelineError):
    """The Noise handshake failed or the server was not the one expected."""


class ProtocolRefused(HandshakeError):
    """The server answered the protocol line with a cleartext `error: ...`."""


class ServerKeyMismatch(HandshakeError):
    """The server's static key is not the pinned or recorded one."""

    def __init__(self, message: str, expected: bytes, received: bytes):
        self.expected = expected
        self.received = received
        super().__init__(message)


class AttestationError(HandshakeError):
    """The server's attestation document did not meet the expectations."""


class RemoteError(PipelineError):
    """The server ended a call (or the connection) with a Status frame.

    code is the numeric pipeline.v1.Code (gRPC canonical numbers); name is
    its enum name without the CODE_ prefix ("NOT_FOUND"); message is the
    server's text, e.g. "/x: No such file or directory".
    """

    def __init__(self, code: int, message: str):
        self.code = int(code)
        self.message = message
        super().__init__("%s: %s" % (code_name(code, prefix=True), message))

    @property
    def name(self) -> str:
        return code_name(self.code)

    @classmethod
    def from_status(cls, status: "pb.Status") -> "RemoteError":
        return cls(status.code, status.message)


# The name older scripts used.
RemoteStatus = RemoteError


class TransferError(PipelineError):
    """A transfer ended inconsistently (length or digest mismatch, a bad
    entry name from the server); nothing was left under the real name."""


def code_name(code: int, prefix: bool = False) -> str:
    """"NOT_FOUND" for 5 (or "CODE_NOT_FOUND" with prefix); the number as
    text for codes this build does not know."""
    try:
        name: Optional[str] = pb.Code.Name(int(code))
    except ValueError:
        return str(code)
    return name if prefix else name[len("CODE_"):]
