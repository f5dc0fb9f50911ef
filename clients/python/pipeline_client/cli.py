"""The command line: `python3 -m pipeline_client` (and the older
`clients/python/pipeline_client.py`, which runs this).

Exit codes follow the C tool: the remote command's status for exec (128+N
when it died of signal N, 124 when its timeout expired), 1 when a file call
failed, 2 for usage errors, 255 for connection, authentication and protocol
failures.
"""

import argparse
import signal
import sys
import time
from typing import List, Optional

from . import _version
from .client import Client
from .errors import PipelineError, RemoteError
from .keys import generate_keypair, key_from_base64, key_to_base64, \
    load_key_file
from . import pipeline_pb2 as pb

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TIMED_OUT = 124
EXIT_CONNECTION = 255


def _printable(data: bytes) -> str:
    try:
        text = data.decode("ascii")
        if text.isprintable():
            return text
    except UnicodeDecodeError:
        pass
    return "hex:" + data.hex()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python3 -m pipeline_client",
        description="A Pipeline client built from proto/ and dissononce.")
    p.add_argument("--version", action="version",
                   version="pipeline_client " + _version.__version__)
    p.add_argument("--address", help="unix:PATH, tcp:HOST:PORT or "
                   "vsock:CID:PORT")
    p.add_argument("--key-file", help="this client's private key (base64; "
                   "created with mode 0600 when missing); default: a new "
                   "key for this run")
    p.add_argument("--server-key", help="expect this server public key "
                   "(base64)")
    p.add_argument("--known-servers", metavar="FILE",
                   help="record the server's key on first contact, refuse a "
                   "different one later (unless --server-key is given)")
    p.add_argument("--expect-pcr", action="append", default=[],
                   metavar="N=HEX", help="verify the server's attestation "
                   "document: PCR N must equal HEX (repeatable)")
    p.add_argument("--attestation-root", metavar="FILE",
                   help="trust this root certificate (default: AWS Nitro)")
    p.add_argument("--allow-debug", action="store_true",
                   help="accept a debug-mode enclave")
    p.add_argument("--attestation-max-age", type=float, metavar="SECS",
                   help="refuse older attestation documents")
    p.add_argument("--cipher", choices=["aesgcm", "chachapoly"],
                   help="the Noise cipher (default: aesgcm, then chachapoly "
                   "when the server lacks it)")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds to wait for connect and handshake "
                   "(default 10)")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
    sp = sub.add_parser("ping", help="handshake, ping, print what the "
                        "server says")
    sp.add_argument("--payload", default=None, help="text to echo")
    sub.add_parser("pubkey", help="print this client's public key")
    se = sub.add_parser("exec", help="run a command on the server")
    se.add_argument("--command", help="run through the server's shell")
    se.add_argument("-n", action="store_true", help="no stdin")
    se.add_argument("-e", "--env", action="append", default=[],
                    metavar="NAME=VALUE", help="add to the environment")
    se.add_argument("--cwd", help="working directory on the server")
    se.add_argument("--time-limit", type=float, default=0, metavar="SECS",
                    help="the server kills the command after SECS (exit 124)")
    se.add_argument("argv", nargs="*", help="program and arguments")
    for name, src, dst, what in (
            ("put-file", "local", "remote", "copy a local file to the server"),
            ("get-file", "remote", "local", "copy a file from the server"),
            ("put-dir", "local", "remote", "copy a local directory tree to "
             "the server"),
            ("get-dir", "remote", "local", "copy a directory tree from the "
             "server")):
        sf = sub.add_parser(name, help=what)
        sf.add_argument("--checksum", action="store_true",
                        help="compare a SHA-256 computed on both ends")
        sf.add_argument("-p", "--preserve", action="store_true",
                        help="keep modification times (without it what is "
                        "written gets the time it was written, as with cp)")
        sf.add_argument(src)
        sf.add_argument(dst)
    return p


def _ping(c: Client, args: argparse.Namespace) -> int:
    payload = args.payload.encode() if args.payload is not None else None
    r = c.ping(payload)
    hello = c.server_hello
    assert hello is not None and c.server_key is not None
    print("payload: %s" % _printable(r.payload))
    print("software: %s" % r.software)
    print("server key: %s" % key_to_base64(c.server_key))
    print("server hello: %s, protocol %d, features %s"
          % (hello.software, hello.protocol_version,
             ",".join(hello.features)))
    print("server time: %d ns (%s UTC)" % (
        r.server_time_ns, time.strftime("%Y-%m-%dT%H:%M:%S",
                                        time.gmtime(r.server_time_ns / 1e9))))
    print("client key: %s" % key_to_base64(c.public_key))
    print("suite: %s" % c.noise_name)
    print("rtt: %.3f ms" % r.rtt_ms)
    return 0


def _exec(c: Client, args: argparse.Namespace) -> int:
    # Ctrl-C, SIGTERM and SIGHUP reach the remote process group.
    old = {}
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        old[s] = signal.signal(s, lambda signo, _f: c.send_signal(signo))
    try:
        r = c.exec(args.argv or None, command=args.command, env=args.env,
                   cwd=args.cwd, stdin=None if args.n else sys.stdin.buffer,
                   stdout=sys.stdout.buffer, stderr=sys.stderr.buffer,
                   timeout=args.time_limit)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    if r.spawn_error:
        print("pipeline_client: exec: %s" % r.spawn_error, file=sys.stderr)
    if r.timed_out:
        return EXIT_TIMED_OUT
    return r.exit_code & 0xff


def _transfer(c: Client, args: argparse.Namespace) -> int:
    if args.cmd == "put-file":
        r = c.put_file(args.local, args.remote, checksum=args.checksum,
                       preserve=args.preserve)
    elif args.cmd == "get-file":
        r = c.get_file(args.remote, args.local, checksum=args.checksum,
                       preserve=args.preserve)
    elif args.cmd == "put-dir":
        r = c.put_dir(args.local, args.remote, checksum=args.checksum,
                       preserve=args.preserve)
    else:
        r = c.get_dir(args.remote, args.local, checksum=args.checksum,
                       preserve=args.preserve)
    if r.sha256 is not None:
        print("%s  %s" % (r.sha256.hex(), r.local))
    return 0


def _pcr(arg: str):
    from .attestation import parse_pcr
    return parse_pcr(arg)


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        kp = load_key_file(args.key_file) if args.key_file \
            else generate_keypair()
        pin = key_from_base64(args.server_key) if args.server_key else None
        pcrs = dict(_pcr(a) for a in args.expect_pcr) or None
    except (OSError, ValueError) as e:
        print("pipeline_client: %s" % e, file=sys.stderr)
        return EXIT_USAGE
    if args.cmd == "pubkey":
        print(key_to_base64(kp.public.data))
        return 0
    if not args.address:
        print("pipeline_client: --address is required", file=sys.stderr)
        return EXIT_USAGE
    if args.cmd == "exec" and bool(args.command) == bool(args.argv):
        print("pipeline_client: exec: give --command or a program, not both",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        with Client(args.address, kp, server_key=pin,
                    known_servers=args.known_servers, cipher=args.cipher,
                    connect_timeout=args.timeout, expect_pcrs=pcrs,
                    attestation_root=args.attestation_root,
                    allow_debug=args.allow_debug,
                    max_age=args.attestation_max_age) as c:
            if c.recorded_key:
                print("pipeline_client: first contact with %s: recorded its "
                      "key %s in %s" % (args.address,
                                        key_to_base64(c.server_key or b""),
                                        args.known_servers), file=sys.stderr)
            if args.cmd == "ping":
                return _ping(c, args)
            if args.cmd == "exec":
                return _exec(c, args)
            return _transfer(c, args)
    except RemoteError as e:
        print("pipeline_client: %s: %s" % (args.cmd, e), file=sys.stderr)
        if args.cmd in ("ping", "exec") or e.code == pb.CODE_UNAUTHENTICATED:
            return EXIT_CONNECTION
        return EXIT_FAILED
    except PipelineError as e:
        print("pipeline_client: %s: %s" % (args.cmd, e), file=sys.stderr)
        return EXIT_CONNECTION
    except ValueError as e:
        print("pipeline_client: %s: %s" % (args.cmd, e), file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:
        print("pipeline_client: %s: %s" % (args.cmd, e), file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
