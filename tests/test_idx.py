import gzip
import struct

import numpy as np
import pytest

from digitlab import IDXError, read_idx
from digitlab.idx import IDX_TYPES


def idx_bytes(array: np.ndarray, code: int) -> bytes:
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(IDX_TYPES[code]).tobytes()


@pytest.mark.parametrize("code", sorted(IDX_TYPES))
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 5), (2, 1, 2, 3), (0, 4)])
@pytest.mark.parametrize("zipped", [False, True])
def test_round_trip_every_type_and_rank(tmp_path, code, shape, zipped):
    rng = np.random.default_rng(code)
    dtype = IDX_TYPES[code]
    if dtype.kind == "f":
        array = rng.standard_normal(shape).astype(dtype)
    else:
        info = np.iinfo(dtype)
        array = rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)
    data = idx_bytes(array, code)
    path = tmp_path / ("x.idx.gz" if zipped else "x.idx")
    path.write_bytes(gzip.compress(data) if zipped else data)
    got = read_idx(path)
    assert got.shape == shape
    assert got.dtype == dtype.newbyteorder("=")
    assert got.dtype.isnative
    np.testing.assert_array_equal(got, array)


def test_gzip_recognised_by_content_whatever_the_name(tmp_path):
    array = np.arange(6, dtype=np.uint8).reshape(2, 3)
    path = tmp_path / "plain-name"
    path.write_bytes(gzip.compress(idx_bytes(array, 0x08)))
    np.testing.assert_array_equal(read_idx(path), array)


GOOD = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4), 0x08)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.idx", b"", "empty"),
        ("short.idx", b"\x00\x00", "too short"),
        ("magic.idx", b"\x01\x02" + GOOD[2:], "bad magic"),
        ("type.idx", b"\x00\x00\x07\x02" + GOOD[4:], "unknown IDX type code 0x07"),
        ("header.idx", GOOD[:9], "truncated header"),
        ("body.idx", GOOD[:-1], "truncated"),
        ("trailing.idx", GOOD + b"\x00\x00", "2 trailing bytes"),
        ("notgzip.gz", GOOD, "not gzip"),
        ("cut.gz", gzip.compress(GOOD)[:-10], "cut short"),
        ("damaged.gz", gzip.compress(GOOD)[:-8] + b"\x00\x00\x00\x00" + gzip.compress(GOOD)[-4:], "damaged gzip"),
        ("garbage.gz", gzip.compress(GOOD) + b"garbage", "garbage after"),
        ("inner.gz", gzip.compress(GOOD[:-3]), "truncated"),
    ],
)
def test_malformed_input_raises_idx_error_naming_file_and_problem(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IDXError) as info:
        read_idx(path)
    assert isinstance(info.value, ValueError)
    assert name in str(info.value)
    assert message in str(info.value)


def test_missing_file_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.idx"):
        read_idx(tmp_path / "nothing.idx")
