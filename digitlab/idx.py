"""Read IDX files, the format MNIST ships in.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number
of dimensions), one big-endian 32-bit size per dimension, then the elements in
C order, big-endian. ``read_idx`` reads any of them, gzipped or raw, into a
NumPy array with the file's own shape and dtype, and refuses anything that
does not add up with an ``IDXError`` that names the file and the problem.

Memory stays bounded whatever the file holds: gzip data is inflated a piece at
a time, the header is checked first, and reading stops as soon as the data
runs past what the header promises, or past ``max_bytes`` (256 MiB unless
told otherwise; the largest MNIST file is 47 MB). Many-member gzip files take
linear time.
"""

from __future__ import annotations

import io
import os
import stat
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .validate import idx_read_call

try:  # zlib-ng inflates the same streams about twice as fast; plain zlib is the fallback
    from zlib_ng import zlib_ng as _zlib
except ImportError:  # pragma: no cover - zlib-ng is a dependency, the fallback is for odd platforms
    _zlib = zlib

__all__ = ["IDX_TYPES", "MAX_BYTES", "GzipDataError", "IDXError", "decode_idx", "gunzip", "read_idx", "read_stream"]

#: IDX type code -> big-endian NumPy dtype.
IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
#: The default cap on the decompressed size of one file (``read_idx(..., max_bytes=None)`` lifts it).
MAX_BYTES = 256 * 2**20
_GZIP_MAGIC = b"\x1f\x8b"
_IN_CHUNK = 1 << 14  # compressed bytes fed to the inflater at a time: bounds the copy a member's end costs
_OUT_CHUNK = 1 << 20  # decompressed bytes produced at a time
_TRAILING_COUNTED = 1 << 20  # past the promise, trailing bytes are counted up to this many, then reading stops
_MAX_RATIO = 1032  # deflate never inflates more than this many times (258-byte matches in 2 bits)
_ZLIB_ERRORS = (_zlib.error, zlib.error)


def _max_rank() -> int:
    """The most dimensions this NumPy supports (64 from NumPy 2, 32 before)."""
    for rank in (64, 32):
        try:
            np.empty((1,) * rank, dtype=np.uint8)
        except ValueError:
            continue
        return rank
    return 32  # pragma: no cover


MAX_RANK = _max_rank()
_MAX_NBYTES = int(np.iinfo(np.intp).max)


class IDXError(ValueError):
    """A file is not a well-formed IDX file (the message names file and problem)."""


class GzipDataError(IDXError):
    """The gzip layer of a file is missing (a .gz name), damaged, cut short or followed by garbage."""


def _inflate(read: Callable[[int], bytes]) -> Iterator[bytes]:
    """Decompressed pieces (at most ``_OUT_CHUNK`` bytes each) of gzip data, one or more members.

    ``read(n)`` gives up to n more compressed bytes, ``b""`` at the end. Raises
    ``ValueError`` when the data is damaged, cut short or followed by garbage.
    Input goes in at most ``_IN_CHUNK`` bytes at a time, so what a member leaves
    over is small and many members take linear time.
    """
    pending = b""
    at_end = False
    inflater = None
    while True:
        if inflater is None:  # a member starts here, or the data ends
            while len(pending) < 2 and not at_end:
                more = read(_IN_CHUNK)
                at_end = not more
                pending += more
            if not pending:
                return
            if pending[:2] != _GZIP_MAGIC:
                raise ValueError("garbage after the gzip data (bytes that are not a gzip member)")
            inflater = _zlib.decompressobj(31)
        elif not pending and not at_end:
            pending = read(_IN_CHUNK)
            at_end = not pending
        try:
            out = inflater.decompress(pending, _OUT_CHUNK)
        except _ZLIB_ERRORS as exc:
            raise ValueError(f"damaged gzip data ({exc})") from None
        if inflater.eof:
            pending, inflater = inflater.unused_data, None
        else:
            pending = inflater.unconsumed_tail
            if not out and not pending and at_end:
                raise ValueError("gzip data cut short (the stream ends before its end marker)")
        if out:
            yield out


class _Source:
    """Decompressed bytes on demand, from gzip or raw data, with a running count."""

    def __init__(self, pieces: Iterator[bytes], hasher=None):
        self._pieces = pieces
        self._buffer = b""
        self._hasher = hasher
        self.taken = 0  # bytes handed out so far

    def _next(self) -> bytes:
        piece = next(self._pieces, b"")
        if piece and self._hasher is not None:
            self._hasher.update(piece)
        return piece

    def take(self, n: int, into: bytearray | None = None) -> bytes | bytearray:
        """Up to ``n`` bytes (fewer only at the end), appended to ``into`` when given."""
        out = bytearray() if into is None else into
        start = len(out)
        while len(out) - start < n:
            if not self._buffer:
                self._buffer = self._next()
                if not self._buffer:
                    break
            need = n - (len(out) - start)
            out += self._buffer[:need]
            self._buffer = self._buffer[need:]
        self.taken += len(out) - start
        return out if into is not None else bytes(out)

    def fill(self, buffer: memoryview) -> int:
        """Fill ``buffer`` from the start; the number of bytes put (fewer only at the end)."""
        filled, size = 0, len(buffer)
        while filled < size:
            if not self._buffer:
                self._buffer = self._next()
                if not self._buffer:
                    break
            part = min(size - filled, len(self._buffer))
            buffer[filled : filled + part] = self._buffer[:part] if part < len(self._buffer) else self._buffer
            self._buffer = self._buffer[part:]
            filled += part
        self.taken += filled
        return filled

    def count_rest(self, limit: int) -> int | None:
        """How many bytes are left, counting (and discarding) up to ``limit``; ``None`` past it."""
        count = len(self._buffer)
        self._buffer = b""
        while count <= limit:
            piece = self._next()
            if not piece:
                return count
            count += len(piece)
        return None


def _raw_pieces(read: Callable[[int], bytes]) -> Iterator[bytes]:
    while piece := read(_OUT_CHUNK):
        yield piece


def _header(source: _Source, path, gzipped: bool) -> tuple[np.dtype, tuple[int, ...], int]:
    """The dtype, shape and total size in bytes (header included) the header promises."""
    magic = source.take(4)
    if not magic and gzipped:
        raise IDXError(f"{path}: the gzip data decompresses to nothing")
    if len(magic) < 4:
        raise IDXError(f"{path}: {len(magic)} bytes is too short for an IDX header (4 bytes at least)")
    if magic[0] != 0 or magic[1] != 0:
        raise IDXError(f"{path}: bad magic number {magic.hex()} (IDX files start with two zero bytes)")
    code, ndim = magic[2], magic[3]
    if code not in IDX_TYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_TYPES)
        raise IDXError(f"{path}: unknown IDX type code 0x{code:02X} (known: {known})")
    if ndim > MAX_RANK:
        raise IDXError(f"{path}: the header gives {ndim} dimensions; NumPy holds at most {MAX_RANK}")
    header = 4 + 4 * ndim
    sizes = source.take(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise IDXError(
            f"{path}: truncated header: {ndim} dimensions need {header} bytes, the file has {4 + len(sizes)}"
        )
    shape = tuple(int.from_bytes(sizes[4 * i : 4 * i + 4], "big") for i in range(ndim))
    dtype = IDX_TYPES[code]
    nonzero = 1
    for size in shape:  # Python integers: no wrap-around, however large the sizes
        nonzero *= max(size, 1)
    if nonzero * dtype.itemsize > _MAX_NBYTES:
        raise IDXError(
            f"{path}: impossible shape {shape} of {dtype.name}: more than the {_MAX_NBYTES} bytes an array can hold"
        )
    count = 0 if 0 in shape else nonzero
    return dtype, shape, header + count * dtype.itemsize


def _decode(
    source: _Source, path, max_bytes: int | None, size: int | None = None, gzipped: int | None = None
) -> np.ndarray:
    """The array from a source of decompressed bytes.

    ``size``, when known, is the total number of decompressed bytes; ``gzipped``, for gzip data, the size
    of the compressed data when known (else 0): at most ``_MAX_RATIO`` times that is set aside at once.
    """
    dtype, shape, expected = _header(source, path, gzipped is not None)
    if gzipped is not None:  # set aside no more than the compressed size can inflate to (grow past it)
        plausible = _MAX_RATIO * gzipped + _OUT_CHUNK if gzipped else _OUT_CHUNK
    else:  # raw: a known size was checked against the promise already
        plausible = None if size is not None else _OUT_CHUNK
    header = source.taken
    if size is not None and size < expected:
        raise IDXError(f"{path}: truncated: shape {shape} of {dtype.name} needs {expected} bytes, the file has {size}")
    if size is not None and size > expected:
        raise IDXError(f"{path}: {size - expected} trailing bytes after the {expected} the header promises")
    if max_bytes is not None and expected > max_bytes:
        raise IDXError(
            f"{path}: the header promises {expected} bytes (shape {shape} of {dtype.name}), more than "
            f"max_bytes={max_bytes}; pass a larger max_bytes (or None) if the file is meant to be that big"
        )
    n_body = expected - header
    room = n_body if plausible is None else min(n_body, plausible)
    body = np.empty(room, dtype=np.uint8)  # pages are only taken as they are filled
    got = source.fill(memoryview(body))
    if got == room < n_body:  # a promise beyond what the compressed size could hold: read on, growing
        more = source.take(n_body - room)
        body = np.concatenate([body, np.frombuffer(more, dtype=np.uint8)])
        got += len(more)
    if got < n_body:
        raise IDXError(
            f"{path}: truncated: shape {shape} of {dtype.name} needs {expected} bytes, the file has {header + got}"
        )
    rest = source.count_rest(_TRAILING_COUNTED)
    if rest is None:
        raise IDXError(f"{path}: more than {_TRAILING_COUNTED} trailing bytes after the {expected} the header promises")
    if rest:
        raise IDXError(f"{path}: {rest} trailing bytes after the {expected} the header promises")
    try:
        array = body.view(dtype).reshape(shape)
    except ValueError as exc:  # pragma: no cover - the header checks above leave NumPy nothing to refuse
        raise IDXError(f"{path}: shape {shape} of {dtype.name}: {exc}") from None
    if dtype.itemsize > 1 and np.little_endian:
        array.byteswap(inplace=True)  # to native byte order where it lies: no copy
    return array.view(dtype.newbyteorder("="))


def read_stream(file: BinaryIO, path, max_bytes: int | None, hasher=None, size: int | None = None) -> np.ndarray:
    """Decode an open IDX file, gzipped or raw; ``hasher`` sees the decompressed bytes as they pass.

    ``size`` is the file's size when known: a raw file is then checked against
    its header before its body is read, and a gzip file's memory is set aside
    no faster than its size allows.
    """
    start = file.read(2)
    if not start:
        raise IDXError(f"{path}: the file is empty")
    is_gzip = start == _GZIP_MAGIC
    if str(path).endswith(".gz") and not is_gzip:
        raise GzipDataError(f"{path}: named .gz but is not gzip data")
    first = [start]

    def read(n: int) -> bytes:
        return first.pop() if first else file.read(n)

    if not is_gzip:
        return _decode(_Source(_raw_pieces(read), hasher), path, max_bytes, size)
    try:
        return _decode(_Source(_inflate(read), hasher), path, max_bytes, gzipped=size or 0)
    except IDXError:
        raise
    except ValueError as exc:  # damaged, cut short, garbage after it
        raise GzipDataError(f"{path}: {exc}") from None


def read_idx(path: str | Path, max_bytes: int | None = MAX_BYTES) -> np.ndarray:
    """Read one IDX file, gzipped or raw.

    Parameters
    ----------
    path : str or Path
        The file. Gzip is recognised by its content; a name ending in ``.gz``
        must hold gzip data.
    max_bytes : int or None
        Refuse a file whose decompressed content is larger (default 256 MiB);
        ``None`` for no cap. Memory use stays near the size the header promises.

    Returns
    -------
    ndarray, shape as the header says
        Native byte order, dtype from the type code (uint8, int8, int16,
        int32, float32 or float64); writeable.

    Raises
    ------
    IDXError
        Empty file, bad magic number, unknown type code, impossible shape, more
        dimensions than NumPy holds, fewer or more bytes than the header
        promises, more than ``max_bytes``, or damaged gzip data.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    path, max_bytes = idx_read_call(path, max_bytes)
    try:
        with path.open("rb") as file:
            size = _regular_size(file)
            return read_stream(file, path, max_bytes, size=size)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"{path}: is a folder, not an IDX file") from None


def _regular_size(file: BinaryIO) -> int | None:
    """The size of a regular file (so a raw file's length is checked before its body is read)."""
    info = os.fstat(file.fileno())
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def decode_idx(data: bytes, path: str | Path = "<bytes>", max_bytes: int | None = None) -> np.ndarray:
    """Decode the (decompressed) bytes of an IDX file; ``path`` names it in errors."""
    stream = io.BytesIO(data)
    return _decode(_Source(_raw_pieces(stream.read)), path, max_bytes, size=len(data))


def gunzip(data: bytes, max_bytes: int | None = None) -> bytes:
    """Decompress gzip data (one or more members) in linear time.

    ``ValueError`` when it is damaged, cut short, followed by garbage, or
    inflates to more than ``max_bytes`` (then it stops there).
    """
    stream = io.BytesIO(data)
    out = bytearray()
    for piece in _inflate(stream.read):
        out += piece
        if max_bytes is not None and len(out) > max_bytes:
            raise ValueError(f"the gzip data inflates to more than max_bytes={max_bytes}")
    return bytes(out)
