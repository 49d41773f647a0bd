import shutil

import numpy as np
import pytest
from mnist import MNIST as PythonMNIST

import digitlab as dl
from digitlab import data as data_module
from digitlab.data import PINS, data_root


def test_arrays_have_the_documented_shapes_and_dtypes(mnist):
    shapes = [(60000, 28, 28), (60000,), (10000, 28, 28), (10000,)]
    for array, shape in zip(mnist, shapes):
        assert array.shape == shape
        assert array.dtype == np.uint8
    assert set(np.unique(mnist.train_labels)) == set(range(10))


def test_identical_to_python_mnist_the_reference_reader(mnist):
    reader = PythonMNIST(str(data_root()), gz=True)
    train_images, train_labels = reader.load_training()
    test_images, test_labels = reader.load_testing()
    np.testing.assert_array_equal(mnist.train_images.reshape(60000, 784), np.array(train_images, dtype=np.uint8))
    np.testing.assert_array_equal(mnist.train_labels, np.array(train_labels, dtype=np.uint8))
    np.testing.assert_array_equal(mnist.test_images.reshape(10000, 784), np.array(test_images, dtype=np.uint8))
    np.testing.assert_array_equal(mnist.test_labels, np.array(test_labels, dtype=np.uint8))


def test_default_root_is_the_repository_data_folder_not_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("DIGITLAB_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    root = data_root()
    assert root.name == "data" and (root.parent / "digitlab" / "__init__.py").is_file()
    assert dl.load_mnist().train_images.shape == (60000, 28, 28)


def test_sha256sums_file_matches_the_pins_in_the_package():
    lines = (data_root() / "SHA256SUMS").read_text().split("\n")
    listed = dict(reversed(line.split()) for line in lines if line.strip())
    assert listed == {name.removesuffix(".gz"): pin for name, pin in PINS.items()}


def test_verdict_is_cached_so_a_second_load_does_not_hash_the_content(monkeypatch):
    dl.load_mnist()
    hashed = []
    real = data_module.hashlib.sha256
    monkeypatch.setattr(data_module.hashlib, "sha256", lambda *a: hashed.append(a) or real(*a))
    dl.load_mnist()
    assert len(hashed) == 4 and all(a for a in hashed)  # only the compressed bytes, the cache's key


def test_the_cache_is_not_fooled_by_a_same_size_file_with_the_same_mtime(tmp_path, monkeypatch):
    import gzip
    import os

    for name in PINS:
        shutil.copy(data_root() / name, tmp_path / name)
    monkeypatch.setenv("DIGITLAB_DATA", str(tmp_path))
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    good = gzip.compress(raw, mtime=0)
    for i in range(8, len(raw) - 1):  # two neighbouring labels swapped: a well-formed file of the same size
        if raw[i] != raw[i + 1]:
            swapped = gzip.compress(raw[:i] + raw[i + 1 : i + 2] + raw[i : i + 1] + raw[i + 2 :], mtime=0)
            if len(swapped) == len(good):
                break
    path.write_bytes(good)
    dl.load_mnist()  # verified, and remembered
    stat = path.stat()
    path.write_bytes(swapped)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    with pytest.raises(dl.MNISTFileError, match="train-labels-idx1-ubyte.gz: damaged, SHA-256"):
        dl.load_mnist()


@pytest.fixture
def copied_root(tmp_path, monkeypatch):
    for name in PINS:
        shutil.copy(data_root() / name, tmp_path / name)
    monkeypatch.setenv("DIGITLAB_DATA", str(tmp_path))
    return tmp_path


def test_environment_variable_overrides_the_root(copied_root):
    assert data_root() == copied_root
    assert dl.load_mnist().test_labels.shape == (10000,)


def test_missing_file_names_it_and_says_how_to_restore(copied_root):
    (copied_root / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(dl.MNISTFileError) as info:
        dl.load_mnist()
    message = str(info.value)
    assert "t10k-labels-idx1-ubyte.gz" in message and "missing" in message
    # the folder is DIGITLAB_DATA's, not the repository's: `git checkout -- data/` would not restore it
    assert "python -m digitlab fetch" in message and "DIGITLAB_DATA" in message and "git checkout" not in message


def test_advice_for_the_repository_folder_and_for_a_root_given(tmp_path, monkeypatch):
    monkeypatch.delenv("DIGITLAB_DATA", raising=False)
    assert "git checkout -- data/" in data_module.advice(data_root())
    assert f"python -m digitlab fetch --root {tmp_path}" in data_module.advice(tmp_path)
    with pytest.raises(dl.MNISTFileError, match=f"--root {tmp_path}"):
        dl.load_mnist(tmp_path)


def test_every_bad_file_is_named_not_only_the_first(copied_root):
    (copied_root / "train-images-idx3-ubyte.gz").unlink()
    (copied_root / "t10k-labels-idx1-ubyte.gz").write_bytes(b"junk")
    with pytest.raises(dl.MNISTFileError) as info:
        dl.load_mnist()
    message = str(info.value)
    assert message.startswith("2 MNIST files are missing or damaged")
    assert "train-images-idx3-ubyte.gz: missing" in message
    assert "t10k-labels-idx1-ubyte.gz: damaged, not readable gzip" in message


def test_what_stands_in_place_of_a_file_is_said(copied_root):
    (copied_root / "train-labels-idx1-ubyte.gz").unlink()
    (copied_root / "train-labels-idx1-ubyte.gz").mkdir()
    (copied_root / "t10k-labels-idx1-ubyte.gz").unlink()
    (copied_root / "t10k-labels-idx1-ubyte.gz").symlink_to("/dev/null")
    (copied_root / "t10k-images-idx3-ubyte.gz").unlink()
    (copied_root / "t10k-images-idx3-ubyte.gz").symlink_to(copied_root / "nowhere")
    with pytest.raises(dl.MNISTFileError) as info:
        dl.load_mnist()
    message = str(info.value)
    assert "train-labels-idx1-ubyte.gz: a folder, not a file" in message
    assert "t10k-labels-idx1-ubyte.gz: not a regular file" in message and "/dev/null" in message
    assert "t10k-images-idx3-ubyte.gz: a broken link" in message and "nowhere" in message


def test_data_folder_that_is_a_file_is_refused_clearly(tmp_path, monkeypatch):
    a_file = tmp_path / "data"
    a_file.write_text("")
    monkeypatch.setenv("DIGITLAB_DATA", str(a_file))
    with pytest.raises(dl.MNISTFileError, match="DIGITLAB_DATA names this, but it is a file, not a folder"):
        dl.load_mnist()
    with pytest.raises(dl.MNISTFileError, match="root='.*' names this, but it is a file"):
        dl.load_mnist(a_file)


def test_an_oversized_file_is_refused_without_reading_it_all(copied_root):
    path = copied_root / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes() + bytes(200_000))
    with pytest.raises(dl.MNISTFileError, match="train-labels-idx1-ubyte.gz: damaged: more than 126144 bytes"):
        dl.load_mnist()


def test_damaged_file_fails_its_pin(copied_root):
    import gzip

    path = copied_root / "train-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[100] ^= 1  # one flipped label: still a well-formed IDX file
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(dl.MNISTFileError, match="train-labels-idx1-ubyte.gz: damaged, SHA-256"):
        dl.load_mnist()


def test_truncated_gzip_is_reported_as_damaged(copied_root):
    path = copied_root / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(dl.MNISTFileError, match="t10k-images-idx3-ubyte.gz: damaged, not readable gzip"):
        dl.load_mnist()
