"""Get the MNIST files back: download from public mirrors, verify, write atomically.

Only needed when ``data/`` was damaged or deleted (the files are committed).
Each file is tried on each mirror in turn, whatever goes wrong with one (a
refused connection, a reply that is not HTTP, a short or endless body, a
mistyped URL): the next mirror is tried. A download streams into a temporary
file in the same folder, is stopped as soon as it runs past the most bytes a
gzip of that file can take, is checked against its SHA-256 pin, and only then
renamed into place, so a failed, endless or corrupted download never leaves a
half-written or unverified file behind, nor fills memory. ``timeout`` is a
deadline for each whole download, not for each read. ``DIGITLAB_MIRRORS``
(comma-separated base URLs) replaces the mirror list.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from . import validate
from .data import PINS, MNISTFileError, check_downloaded_file, data_root, download_cap, file_problem

__all__ = ["MIRRORS", "fetch", "mirrors", "verify"]

#: Public MNIST mirrors, tried in order (the original site refuses downloads now).
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)
_CHUNK = 1 << 16


def mirrors() -> list[str]:
    """The mirror base URLs: ``$DIGITLAB_MIRRORS`` if set, else ``MIRRORS``."""
    env = os.environ.get("DIGITLAB_MIRRORS")
    return [m.strip() for m in env.split(",") if m.strip()] if env else list(MIRRORS)


def verify(root: str | Path | None = None) -> dict[str, str | None]:
    """File name -> its problem in words, or ``None`` when it matches its pin."""
    folder = data_root(root)
    return {name: file_problem(folder / name) for name in PINS}


class _Deadline:
    """Shuts the download's sockets when its time is up, wherever the download is waiting."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def left(self) -> float:
        return max(self.end - time.monotonic(), 0.001)

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                self._shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()


def _watched(base: type, deadline: _Deadline) -> type:
    """An HTTP(S) connection class whose socket the deadline can shut."""

    class Watched(base):
        def connect(self):
            super().connect()
            deadline.watch(self.sock)

    return Watched


def _opener(deadline: _Deadline) -> urllib.request.OpenerDirector:
    http_class = _watched(http.client.HTTPConnection, deadline)
    https_class = _watched(http.client.HTTPSConnection, deadline)

    class HTTP(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(http_class, req)

    class HTTPS(urllib.request.HTTPSHandler):
        def https_open(self, req):
            extra = {"context": self._context}
            if getattr(self, "_check_hostname", None) is not None:  # Python < 3.12
                extra["check_hostname"] = self._check_hostname
            return self.do_open(https_class, req, **extra)

    return urllib.request.build_opener(HTTP, HTTPS)


def _download(url: str, target: Path, timeout: float) -> None:
    """Download ``url`` into a temporary file, check it against the pin of ``target``, then rename it into place."""
    name, cap = target.name, download_cap(target.name)
    deadline = _Deadline(timeout)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w+b") as out:
            try:
                _stream(url, out, cap, deadline)
            except Exception:
                if deadline.expired:
                    raise TimeoutError(f"the download took longer than timeout={timeout:g} s") from None
                raise
            finally:
                deadline.cancel()
            out.flush()
            os.fsync(out.fileno())
            out.seek(0)
            check_downloaded_file(out, name, url)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _stream(url: str, out, cap: int, deadline: _Deadline) -> None:
    """Copy the body at ``url`` into ``out``: at most ``cap`` bytes, all of them if the server gave a length."""
    with _opener(deadline).open(url, timeout=deadline.left()) as response:
        announced = response.headers.get("Content-Length")
        length = int(announced) if announced and announced.strip().isdigit() else None
        if length is not None and length > cap:
            raise ValueError(f"the server announces {length} bytes; a gzip of this file needs at most {cap}")
        got = 0
        read = getattr(response, "read1", response.read)  # read1: one read at a time, so the deadline can act
        while chunk := read(_CHUNK):
            got += len(chunk)
            if got > cap:
                raise ValueError(f"more than {cap} bytes, the most a gzip of this file needs: stopped")
            out.write(chunk)
            if deadline.expired:
                raise TimeoutError("deadline")
        if deadline.expired:
            raise TimeoutError("deadline")
        if length is not None and got < length:
            raise ValueError(f"short body: {got} of the {length} bytes announced")


def _describe(exc: BaseException, url: str) -> str:
    """One failed attempt in words: the error's kind, unless its message says it all."""
    text = str(exc).removeprefix(f"{url}: ") or "no details"
    return text if isinstance(exc, (MNISTFileError, TimeoutError)) else f"{type(exc).__name__}: {text}"


def fetch(root: str | Path | None = None, urls: list[str] | None = None, timeout: float = 30.0) -> dict[str, str]:
    """Download every missing or damaged MNIST file into ``root``.

    Parameters
    ----------
    root : str or Path, optional
        The data folder (default: see ``data_root``); made if missing.
    urls : list of str, optional
        Mirror base URLs, tried in order (default: ``mirrors()``).
    timeout : float
        Seconds allowed for each whole download (one file from one mirror).

    Returns
    -------
    dict
        File name -> ``"ok"`` (already intact) or the URL it was fetched from.

    Raises
    ------
    MNISTFileError
        Some files could not be had intact from any mirror (the message names
        each, with every attempt), or ``root`` is a file, or a folder stands
        where a file should.
    """
    folder = data_root(root)
    validate.real("timeout", timeout, above=0)
    if urls is not None:
        source = "the urls argument"
    else:
        source = "DIGITLAB_MIRRORS" if os.environ.get("DIGITLAB_MIRRORS") else "MIRRORS"
    bases = list(urls) if urls is not None else mirrors()
    if not bases:
        raise MNISTFileError(f"no mirrors to download from; check {source}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MNISTFileError(f"{folder}: cannot make the data folder ({exc.strerror or exc})") from None
    report, failures = {}, []
    for name, problem in verify(folder).items():
        if problem is None:
            report[name] = "ok"
            continue
        target = folder / name
        if target.is_dir() and not target.is_symlink():
            failures.append(f"{target}: a folder stands where the file should be; move it away, then fetch again")
            continue
        attempts = []
        for base in bases:
            url = f"{base.rstrip('/')}/{name}" if isinstance(base, str) else repr(base)
            try:
                validate.mirror_url(base, source)
                _download(url, target, timeout)
            except Exception as exc:  # whatever goes wrong with one mirror, the next is tried
                attempts.append(f"    {url}: {_describe(exc, url)}")
                continue
            report[name] = url
            break
        else:
            failures.append(f"{target}: could not download an intact copy; tried:\n" + "\n".join(attempts))
    if failures:
        count = f"{len(failures)} of the MNIST files" if len(failures) > 1 else "an MNIST file"
        raise MNISTFileError(f"could not get {count}:\n" + "\n".join(f"  {f}" for f in failures))
    return report
