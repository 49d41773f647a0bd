"""Read IDX files, the format MNIST ships in.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number
of dimensions), one big-endian 32-bit size per dimension, then the elements in
C order, big-endian. ``read_idx`` reads any of them, gzipped or raw, into a
NumPy array with the file's own shape and dtype, and refuses anything that
does not add up with an ``IDXError`` that names the file and the problem.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

try:  # zlib-ng inflates the same streams about twice as fast; plain zlib is the fallback
    from zlib_ng import zlib_ng as _zlib
except ImportError:  # pragma: no cover - zlib-ng is a dependency, the fallback is for odd platforms
    _zlib = zlib

__all__ = ["IDX_TYPES", "IDXError", "decode_idx", "gunzip", "read_idx"]

#: IDX type code -> big-endian NumPy dtype.
IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


class IDXError(ValueError):
    """A file is not a well-formed IDX file (the message names file and problem)."""


def _raw_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when it is gzip (by content, or because it is named .gz)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file") from None
    if not data:
        raise IDXError(f"{path}: the file is empty")
    is_gzip = data[:2] == _GZIP_MAGIC
    if path.suffix == ".gz" and not is_gzip:
        raise IDXError(f"{path}: named .gz but is not gzip data")
    if not is_gzip:
        return data
    try:
        data = gunzip(data)
    except ValueError as exc:
        raise IDXError(f"{path}: {exc}") from None
    if not data:
        raise IDXError(f"{path}: the gzip data decompresses to nothing")
    return data


def gunzip(data: bytes) -> bytes:
    """Decompress gzip data (one or more members); ``ValueError`` when it is damaged or cut short."""
    parts = []
    while data:
        inflater = _zlib.decompressobj(31)
        try:
            parts.append(inflater.decompress(data))
        except (_zlib.error, zlib.error) as exc:
            raise ValueError(f"damaged gzip data ({exc})") from None
        if not inflater.eof:
            raise ValueError("gzip data cut short (the stream ends before its end marker)")
        data = inflater.unused_data
        if data and data[:2] != _GZIP_MAGIC:
            raise ValueError(f"{len(data)} bytes of garbage after the gzip data")
    return b"".join(parts)


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file, gzipped or raw.

    Parameters
    ----------
    path : str or Path
        The file. Gzip is recognised by its content; a name ending in ``.gz``
        must hold gzip data.

    Returns
    -------
    ndarray, shape as the header says
        Native byte order, dtype from the type code (uint8, int8, int16,
        int32, float32 or float64).

    Raises
    ------
    IDXError
        Empty file, bad magic number, unknown type code, fewer or more bytes
        than the header promises, or damaged gzip data.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    path = Path(path)
    return decode_idx(_raw_bytes(path), path)


def decode_idx(data: bytes, path: str | Path = "<bytes>") -> np.ndarray:
    """Decode the (decompressed) bytes of an IDX file; ``path`` names it in errors."""
    if len(data) < 4:
        raise IDXError(f"{path}: {len(data)} bytes is too short for an IDX header (4 bytes at least)")
    if data[0] != 0 or data[1] != 0:
        raise IDXError(f"{path}: bad magic number {data[:4].hex()} (IDX files start with two zero bytes)")
    code, ndim = data[2], data[3]
    if code not in IDX_TYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_TYPES)
        raise IDXError(f"{path}: unknown IDX type code 0x{code:02X} (known: {known})")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IDXError(f"{path}: truncated header: {ndim} dimensions need {header} bytes, the file has {len(data)}")
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_TYPES[code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) < expected:
        raise IDXError(
            f"{path}: truncated: shape {shape} of {dtype.name} needs {expected} bytes, the file has {len(data)}"
        )
    if len(data) > expected:
        raise IDXError(f"{path}: {len(data) - expected} trailing bytes after the {expected} the header promises")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a writeable copy in native byte order
