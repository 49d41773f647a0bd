"""Property-based tests of the IDX reader (hypothesis).

* Any valid file, raw or gzipped (one member or many), reads back bit-exactly.
* Any mutation of a valid file (bytes flipped, cut, added, header fields set to anything), any header, any
  bytes at all: ``read_idx`` either raises ``IDXError`` naming the file, or returns an array that the file
  encodes exactly. Nothing else escapes.

The normal suite tries a bounded, fixed set of examples (``derandomize``); ``DIGITLAB_FUZZ=N`` runs N fresh
random examples per property instead, e.g. ``DIGITLAB_FUZZ=3000 pytest tests/test_idx_fuzz.py
--hypothesis-show-statistics``.
"""

from __future__ import annotations

import gzip
import os
import re
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from digitlab import IDXError, read_idx
from digitlab.idx import IDX_TYPES

FUZZ = int(os.environ.get("DIGITLAB_FUZZ", "0"))
settings.register_profile(
    "digitlab-suite",
    max_examples=120,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "digitlab-fuzz",
    max_examples=max(FUZZ, 1),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = settings.get_profile("digitlab-fuzz" if FUZZ else "digitlab-suite")

CODES = sorted(IDX_TYPES)
HUGE = [0, 1, 2, 255, 256, 2**16, 2**31 - 1, 2**31, 2**32 - 1]


def encode(code: int, shape: tuple[int, ...], body: bytes) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + body


@st.composite
def valid_files(draw) -> tuple[int, tuple[int, ...], bytes]:
    code = draw(st.sampled_from(CODES))
    shape = tuple(draw(st.lists(st.integers(0, 6), min_size=0, max_size=4)))
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    body = draw(st.binary(min_size=count * IDX_TYPES[code].itemsize, max_size=count * IDX_TYPES[code].itemsize))
    return code, shape, body


@st.composite
def packed(draw, content: bytes) -> tuple[str, bytes]:
    """``content`` raw, or as gzip: one member at some level, or cut into several members."""
    how = draw(st.sampled_from(["raw", "gzip", "members"]))
    if how == "raw":
        return "file.idx", content
    if how == "gzip":
        return draw(st.sampled_from(["file.idx.gz", "file-without-suffix"])), gzip.compress(
            content, compresslevel=draw(st.integers(0, 9)), mtime=0
        )
    cuts = sorted(draw(st.lists(st.integers(0, len(content)), max_size=4)))
    pieces = [content[a:b] for a, b in zip([0, *cuts], [*cuts, len(content)])]
    return "file.gz", b"".join(gzip.compress(p, mtime=0) for p in pieces)


def mutate(data: bytes, draw) -> bytes:
    """One mutation of ``data``, of a kind drawn at random."""
    kind = draw(st.sampled_from(["flip", "set", "cut", "append", "insert", "delete", "field", "ndim"]))
    at = draw(st.integers(0, max(len(data) - 1, 0)))
    b = bytearray(data)
    if kind == "flip" and b:
        b[at] ^= 1 << draw(st.integers(0, 7))
    elif kind == "set" and b:
        b[at] = draw(st.integers(0, 255))
    elif kind == "cut":
        del b[at:]
    elif kind == "append":
        b += draw(st.binary(min_size=1, max_size=20))
    elif kind == "insert":
        b[at:at] = draw(st.binary(min_size=1, max_size=20))
    elif kind == "delete":
        del b[at : at + draw(st.integers(1, 20))]
    elif kind == "field" and len(b) >= 8:
        slot = 4 + 4 * draw(st.integers(0, max((len(b) - 8) // 4, 0)))
        b[slot : slot + 4] = struct.pack(">I", draw(st.sampled_from(HUGE) | st.integers(0, 2**32 - 1)))
    elif kind == "ndim" and len(b) >= 4:
        b[3] = draw(st.sampled_from([0, 1, 5, 32, 33, 64, 65, 200, 255]) | st.integers(0, 255))
    return bytes(b)


def decompressed(data: bytes) -> bytes | None:
    """The content of a file as a reference reader sees it (Python's gzip for gzip data)."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error, ValueError):
        return None


def check_outcome(path, data: bytes) -> str:
    """``read_idx`` refuses with an ``IDXError`` naming the file, or returns exactly what the file encodes."""
    path.write_bytes(data)
    try:
        got = read_idx(path)
    except IDXError as exc:
        assert path.name in str(exc), str(exc)
        assert not re.search(r"(needs|has|promises|shape \([^)]*) -?-\d", str(exc)), str(exc)  # no wrapped counts
        event("refused with IDXError naming the file")
        return "refused"
    content = decompressed(data)
    assert content is not None, "accepted what the reference gzip reader refuses"
    code = {v.newbyteorder("="): k for k, v in IDX_TYPES.items()}[got.dtype]
    assert content == encode(code, got.shape, got.astype(IDX_TYPES[code]).tobytes()), "accepted a wrong reading"
    event("read: a valid file, decoded exactly")
    return "read"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@PROFILE
@given(valid=valid_files(), data=st.data())
def test_valid_files_round_trip_bit_exactly(folder, valid, data):
    code, shape, body = valid
    name, packed_bytes = data.draw(packed(encode(code, shape, body)))
    path = folder / name
    path.write_bytes(packed_bytes)
    got = read_idx(path)
    assert got.shape == shape and got.dtype == IDX_TYPES[code].newbyteorder("=") and got.flags.writeable
    assert got.astype(IDX_TYPES[code]).tobytes() == body  # bit-exact, NaN payloads included


@PROFILE
@given(valid=valid_files(), data=st.data())
def test_mutated_files_are_refused_naming_the_file_or_read_exactly(folder, valid, data):
    code, shape, body = valid
    content = encode(code, shape, body)
    before = data.draw(st.booleans())  # mutate the content, then pack it; or pack it, then mutate the bytes
    if before:
        name, file_bytes = data.draw(packed(mutate(content, data.draw)))
    else:
        name, file_bytes = data.draw(packed(content))
        file_bytes = mutate(file_bytes, data.draw)
    if not file_bytes:
        file_bytes = b""
    check_outcome(folder / f"mutated-{name}", file_bytes)


@PROFILE
@given(
    magic=st.sampled_from([b"\x00\x00"]) | st.binary(min_size=2, max_size=2),
    code=st.sampled_from(CODES) | st.integers(0, 255),
    dims=st.lists(st.sampled_from(HUGE) | st.integers(0, 8) | st.integers(0, 2**32 - 1), max_size=70),
    ndim_lie=st.none() | st.integers(0, 255),
    body=st.binary(max_size=200),
    zipped=st.booleans(),
)
def test_any_header_is_refused_naming_the_file_or_read_exactly(folder, magic, code, dims, ndim_lie, body, zipped):
    ndim = len(dims) if ndim_lie is None else ndim_lie
    content = magic + bytes([code, ndim]) + struct.pack(f">{len(dims)}I", *dims) + body
    check_outcome(folder / ("header.gz" if zipped else "header.idx"), gzip.compress(content) if zipped else content)


@PROFILE
@given(data=st.binary(max_size=400), zipped=st.booleans(), name=st.sampled_from(["any.idx", "any.gz"]))
def test_any_bytes_are_refused_naming_the_file_or_read_exactly(folder, data, zipped, name):
    check_outcome(folder / name, gzip.compress(data) if zipped else data)
