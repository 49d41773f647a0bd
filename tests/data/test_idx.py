import gzip
import struct
import time

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
        ("cut.gz", gzip.compress(GOOD, mtime=0)[:-10], "cut short"),
        (
            "damaged.gz",
            gzip.compress(GOOD, mtime=0)[:-8] + b"\x00\x00\x00\x00" + gzip.compress(GOOD, mtime=0)[-4:],
            "damaged gzip",
        ),
        ("garbage.gz", gzip.compress(GOOD, mtime=0) + b"garbage", "garbage after"),
        ("inner.gz", gzip.compress(GOOD[:-3], mtime=0), "truncated"),
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


# -- headers that do not add up, whatever their numbers ---------------------------------------------------


def header(code: int, *dims: int) -> bytes:
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("wrap.idx", header(0x08, 2**31, 2**31, 2**31), ["impossible shape", "2147483648"]),
        ("wrap-f8.idx", header(0x0E, 2**31, 2**31), ["impossible shape", "float64"]),
        ("zero-beside-huge.idx", header(0x0E, 0, 2**32 - 1, 2**32 - 1), ["impossible shape"]),
        ("zero-beside-huge-u1.idx", header(0x08, 0, 2**31, 2**31, 2**31), ["impossible shape"]),
        ("rank65.idx", bytes([0, 0, 8, 65]) + bytes(4 * 65), ["65 dimensions", "at most"]),
        ("rank255.idx", bytes([0, 0, 8, 255]) + bytes(4 * 255), ["255 dimensions"]),
        ("huge-promise.idx", header(0x08, 70_000, 70_000) + bytes(100), ["4900000012 bytes"]),
    ],
)
def test_impossible_headers_raise_idx_error_with_true_figures(tmp_path, name, content, words):
    for path, data in ((tmp_path / name, content), (tmp_path / (name + ".gz"), gzip.compress(content))):
        path.write_bytes(data)
        with pytest.raises(IDXError) as info:
            read_idx(path)
        message = str(info.value)
        assert path.name in message and all(w in message for w in words), message
        assert " -" not in message  # no wrapped, negative counts


def test_zero_sized_arrays_and_rank_zero_read(tmp_path):
    for content, shape in ((header(0x08, 0, 2**31, 2**31), (0, 2**31, 2**31)), (header(0x0C) + b"\0\0\0\7", ())):
        path = tmp_path / "x.idx"
        path.write_bytes(content)
        got = read_idx(path)
        assert got.shape == shape and got.size == (0 if shape else 1)


def test_max_bytes_caps_what_a_header_may_promise(tmp_path):
    path = tmp_path / "big.idx.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((100, 100), np.uint8), 0x08)))
    with pytest.raises(IDXError, match=r"big.idx.gz: the header promises 10012 bytes .* max_bytes=5000"):
        read_idx(path, max_bytes=5000)
    assert read_idx(path, max_bytes=10012).shape == (100, 100)
    assert read_idx(path, max_bytes=None).shape == (100, 100)


def test_read_idx_gives_writeable_native_arrays_without_a_copy_of_the_file(tmp_path):
    array = np.arange(-300, 300, dtype=np.int16).reshape(20, 30)
    path = tmp_path / "x.idx"
    path.write_bytes(idx_bytes(array, 0x0B))
    got = read_idx(path)
    assert got.flags.writeable and got.dtype.isnative
    got[0, 0] = 7
    np.testing.assert_array_equal(got[1:], array[1:])


def test_a_folder_is_not_an_idx_file(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder"):
        read_idx(tmp_path)


# -- many gzip members: linear time -----------------------------------------------------------------------


def many_members(n: int) -> bytes:
    one = gzip.compress(b"\x07", mtime=0)
    return gzip.compress(header(0x08, n), mtime=0) + one * n


def test_many_member_gzip_reads_in_linear_time(tmp_path):
    times = {}
    for n in (20_000, 160_000):
        path = tmp_path / f"members-{n}.gz"
        path.write_bytes(many_members(n))
        best = float("inf")
        for _ in range(2):
            start = time.perf_counter()
            got = read_idx(path)
            best = min(best, time.perf_counter() - start)
        assert got.shape == (n,) and (got == 7).all()
        times[n] = best
    # 8 times the members: linear takes about 8 times as long; the old quadratic reader took about 50 times
    assert times[160_000] / times[20_000] < 20, times
