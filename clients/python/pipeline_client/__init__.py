"""pipeline_client: a Python client for Pipeline servers.

Built only from proto/pipeline.proto (the generated pipeline_pb2 module in
this package) and the public Noise library dissononce, so it doubles as
proof that docs/PROTOCOL.md is enough to talk to the C server.

    import pipeline_client as pc

    with pc.connect("unix:/run/pl.sock", "~/.config/pipeline/client.key",
                    server_key="BASE64...") as c:
        r = c.exec(["uname", "-r"])            # ExecResult
        print(r.exit_code, r.stdout)
        c.put_file("app.tar", "/srv/app.tar")
        c.get_dir("/var/log/app", "logs")

The calls mirror the C library (client/*.h): connect, ping, exec, put_file,
get_file, put_dir, get_dir, close. Errors: RemoteError carries the wire
Status code; ConnectError, HandshakeError (ServerKeyMismatch, ...) and
TransferError cover the rest; all derive from PipelineError.
"""

from . import pipeline_pb2
from . import pipeline_pb2 as pb
from ._exec import DISCARD, CommandFailed, ExecResult
from ._files import TransferResult
from ._version import __version__
from .address import open_socket, parse_address
from .client import (FEATURES, MAX_CHUNK, MAX_FRAME, MAX_MSG, NOISE_NAME,
                     PROTOCOL_LINE, SOFTWARE, SUITES, Client, Connection, PingResult,
                     connect)
from .errors import (AttestationError, ConnectError, HandshakeError,
                     PipelineError, ProtocolRefused, RemoteError,
                     RemoteStatus, ServerKeyMismatch, TransferError,
                     code_name)
from .terminal import Terminal
from .keys import (KeyPair, check_known_server, generate_keypair,
                   key_from_base64, key_to_base64, keypair_from_private,
                   load_key_file, public_key, user_path)

__all__ = [
    "connect", "Client", "Connection", "PingResult", "ExecResult",
    "TransferResult", "DISCARD", "CommandFailed", "Terminal",
    "PipelineError", "ConnectError", "HandshakeError", "ProtocolRefused",
    "ServerKeyMismatch", "AttestationError", "RemoteError", "RemoteStatus",
    "TransferError", "code_name",
    "KeyPair", "generate_keypair", "keypair_from_private", "load_key_file",
    "key_to_base64", "key_from_base64", "public_key", "check_known_server",
    "user_path", "parse_address", "open_socket", "pipeline_pb2", "pb",
    "PROTOCOL_LINE", "NOISE_NAME", "SUITES", "SOFTWARE", "FEATURES", "MAX_MSG",
    "MAX_FRAME", "MAX_CHUNK", "__version__",
]
