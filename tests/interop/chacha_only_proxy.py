"""A stand-in for a server that offers only ChaChaPoly (an older build):
it reads each client's negotiation line, writes it to LOG, refuses any
other suite with the "error: " line as such a server does, and relays
ChaChaPoly connections to the real server at UPSTREAM.

usage: chacha_only_proxy.py LISTEN_PATH UPSTREAM_PATH LOG
"""
import os
import socket
import sys
import threading

CHACHA = b"pipeline/1 Noise_XX_25519_ChaChaPoly_SHA256"


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (dst, src):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(conn, upstream, log):
    try:
        n = int.from_bytes(read_exact(conn, 2), "big")
        line = read_exact(conn, n)
        with open(log, "ab") as f:
            f.write(line + b"\n")
        if line != CHACHA:
            msg = b'error: unsupported protocol; this server speaks "' + CHACHA + b'"'
            conn.sendall(len(msg).to_bytes(2, "big") + msg)
            conn.close()
            return
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        up.connect(upstream)
        up.sendall(n.to_bytes(2, "big") + line)
        t = threading.Thread(target=pump, args=(up, conn), daemon=True)
        t.start()
        pump(conn, up)
        t.join()
    except (EOFError, OSError):
        pass
    finally:
        conn.close()


def main():
    listen, upstream, log = sys.argv[1:4]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(listen)
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, upstream, log),
                         daemon=True).start()


if __name__ == "__main__":
    main()
