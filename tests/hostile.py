"""Hostile input for the hardening tests and ``benchmarks/probe_hardening.py``: gzip bombs, and mirrors
on 127.0.0.1 that misbehave.

``FaultServer(files)`` answers ``GET /<fault>/<file name>`` the way that fault says (``FAULTS``), and
``GET /good/<file name>`` with the true file. Every loop is bounded in bytes and in time, and stops when
the client goes away; the server stops with ``close()``.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import socketserver
import struct
import threading
import time
import zlib
from pathlib import Path

#: Fault -> what the mirror does (the fetch test expects each to fail, then the next, good mirror to succeed).
FAULTS = {
    "refused": "nothing listens on the port",
    "missing": "404 Not Found",
    "error": "500 Internal Server Error",
    "redirect-loop": "redirects to itself for ever",
    "corrupt": "a well-formed gzip whose content fails the SHA-256 pin (one label changed)",
    "html": "200 with an HTML page instead of the file",
    "short": "Content-Length of the whole file, then half of it and the connection closed",
    "not-http": "a reply that is not HTTP (BadStatusLine)",
    "hang-up": "closes the connection without a word (RemoteDisconnected)",
    "many-headers": "more than 100 header lines",
    "bad-chunk": "chunked transfer with a chunk size that is not hexadecimal",
    "huge-length": "Content-Length: 10^12",
    "endless": "no Content-Length, zeros for ever (until 2 GiB or 60 s)",
    "bomb": "the right size, but a gzip that inflates far past the file (a gzip bomb)",
    "drip": "the file at one byte per 0.05 s (longer than any timeout the tests give)",
    "slow-headers": "the status line, then one header byte per 0.05 s",
    "typo-scheme": "(not a server) htp:// instead of http://",
    "typo-port": "(not a server) a port that is not a number",
    "typo-ipv6": "(not a server) an unclosed IPv6 bracket",
    "typo-empty-host": "(not a server) http:// with no host",
}
_LIMIT_BYTES = 2 * 2**30
_LIMIT_SECONDS = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FaultServer:
    """A threaded TCP server on 127.0.0.1 that speaks (or fails to speak) HTTP per fault."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                server._handle(self.request)

        class Threaded(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Threaded(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self._closed = threading.Event()

    def url(self, fault: str) -> str:
        """The mirror base URL that shows ``fault`` (or ``"good"``)."""
        typos = {
            "refused": f"http://127.0.0.1:{_free_port()}/",
            "typo-scheme": f"htp://127.0.0.1:{self.port}/good/",
            "typo-port": "http://127.0.0.1:80a/good/",
            "typo-ipv6": "http://[::1/good/",
            "typo-empty-host": "http:///good/",
        }
        return typos.get(fault, f"{self.base}/{fault}/")

    def close(self) -> None:
        self._closed.set()
        self._server.shutdown()
        self._server.server_close()

    # -- the faults ---------------------------------------------------------------------------------------
    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        request = b""
        while b"\r\n\r\n" not in request and len(request) < 65536:
            part = conn.recv(4096)
            if not part:
                return
            request += part
        path = request.split(b" ", 2)[1].decode("latin-1")
        _, fault, name = path.split("/", 2)
        body = self.files.get(name)
        with contextlib.suppress(OSError):  # the client went away: that is how most of these end
            getattr(self, "_" + fault.replace("-", "_"), self._missing)(conn, body, name, path)

    @staticmethod
    def _reply(conn, status: str, headers: dict, body: bytes = b"") -> None:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        conn.sendall(f"HTTP/1.1 {status}\r\n{head}Connection: close\r\n\r\n".encode() + body)

    def _good(self, conn, body, name, path):
        if body is None:
            return self._missing(conn, body, name, path)
        self._reply(conn, "200 OK", {"Content-Length": len(body)}, body)

    def _missing(self, conn, body, name, path):
        self._reply(conn, "404 Not Found", {"Content-Length": 9}, b"not found")

    def _error(self, conn, body, name, path):
        self._reply(conn, "500 Internal Server Error", {"Content-Length": 4}, b"oops")

    def _redirect_loop(self, conn, body, name, path):
        self._reply(conn, "302 Found", {"Location": path, "Content-Length": 0})

    def _corrupt(self, conn, body, name, path):
        raw = bytearray(gzip.decompress(body))
        raw[-1] ^= 0xFF
        bad = gzip.compress(bytes(raw), compresslevel=1)
        self._reply(conn, "200 OK", {"Content-Length": len(bad)}, bad)

    def _html(self, conn, body, name, path):
        page = b"<html><body>Moved to our new site</body></html>"
        self._reply(conn, "200 OK", {"Content-Length": len(page), "Content-Type": "text/html"}, page)

    def _short(self, conn, body, name, path):
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body[: len(body) // 2])

    def _not_http(self, conn, body, name, path):
        conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")

    def _hang_up(self, conn, body, name, path):
        pass  # the handler returns and the connection closes

    def _many_headers(self, conn, body, name, path):
        self._reply(conn, "200 OK", {**{f"X-Filler-{i}": i for i in range(150)}, "Content-Length": len(body)}, body)

    def _bad_chunk(self, conn, body, name, path):
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"zz\r\n" + body[:100] + b"\r\n")

    def _huge_length(self, conn, body, name, path):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n")
        self._stream_zeros(conn)

    def _endless(self, conn, body, name, path):
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body[:10])
        self._stream_zeros(conn)

    def _stream_zeros(self, conn):
        zeros, sent, start = bytes(1 << 16), 0, time.monotonic()
        while sent < _LIMIT_BYTES and time.monotonic() - start < _LIMIT_SECONDS and not self._closed.is_set():
            conn.sendall(zeros)
            sent += len(zeros)

    def _bomb(self, conn, body, name, path):
        bomb = gzip_bomb(gzip.decompress(body)[:16], 1030 * len(body))
        self._reply(conn, "200 OK", {"Content-Length": len(bomb)}, bomb)

    def _drip(self, conn, body, name, path):
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        self._trickle(conn, body)

    def _slow_headers(self, conn, body, name, path):
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        self._trickle(conn, b"X-Slow: " + b"a" * 60000 + b"\r\n")

    def _trickle(self, conn, data: bytes):
        start = time.monotonic()
        for i in range(len(data)):
            if time.monotonic() - start > _LIMIT_SECONDS or self._closed.wait(0.05):
                return
            conn.sendall(data[i : i + 1])


def gzip_bomb(header: bytes, inflated: int, members: int = 1) -> bytes:
    """Gzip of ``header`` then zeros, ``inflated`` bytes in all, in about ``inflated / 1030`` bytes.

    Built in a blink, without deflating gigabytes: after a full flush deflate starts afresh, so the
    block for 1 MiB of zeros is the same every time and is simply repeated. ``members > 1`` splits it
    into that many gzip members.
    """
    mib = 1 << 20
    zeros = bytes(mib)
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = deflater.compress(header) + deflater.flush(zlib.Z_FULL_FLUSH)
    block = deflater.compress(zeros) + deflater.flush(zlib.Z_FULL_FLUSH)
    again = deflater.compress(zeros) + deflater.flush(zlib.Z_FULL_FLUSH)
    assert block == again
    end = deflater.flush(zlib.Z_FINISH)
    blocks = (inflated - len(header)) // mib
    head = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    out, per = [], -(-blocks // members)
    for m in range(members):
        count = min(per, blocks - m * per)
        crc = zlib.crc32(header) if m == 0 else 0
        for _ in range(count):
            crc = zlib.crc32(zeros, crc)
        size = (len(header) if m == 0 else 0) + count * mib
        out += [head, start if m == 0 else b"", block * count, end, struct.pack("<II", crc, size & 0xFFFFFFFF)]
    return b"".join(out)


def files_of(folder: Path, names) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in names}


#: What the child of ``run_limited`` prints last: how its work ended and its peak memory.
_REPORT = """
import json, resource
def _peak():
    status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    mib = {key: int(status[key].split()[0]) / 1024 for key in ("VmHWM", "VmPeak")}
    return {"peak_rss_mib": mib["VmHWM"], "peak_vm_mib": mib["VmPeak"]}
try:
    result = work()
    outcome = {"outcome": "returned", "result": result}
except BaseException as exc:
    outcome = {"outcome": type(exc).__name__, "message": str(exc)[:2000]}
print(json.dumps({**outcome, **_peak()}))
"""


def run_limited(work: str, address_space: int, env: dict | None = None, timeout: float = 300) -> dict:
    """Run ``work`` (source defining ``work()``) in a child Python under an address-space limit.

    Returns how ``work()`` ended (``outcome``: "returned" or the exception's name, with ``message``) and the
    child's peak resident and virtual memory in MiB.
    """
    import json
    import os
    import resource
    import subprocess
    import sys

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    child_env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", work + _REPORT],
        preexec_fn=limit,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise AssertionError(f"the child failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return json.loads(lines[-1])
