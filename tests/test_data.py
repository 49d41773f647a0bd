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


def test_verdict_is_cached_so_a_second_load_does_not_hash(monkeypatch):
    dl.load_mnist()
    calls = []
    real = data_module._check_pin
    monkeypatch.setattr(data_module, "_check_pin", lambda *a: calls.append(a) or real(*a))
    dl.load_mnist()
    assert calls == []


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
    assert "python -m digitlab fetch" in message and "git checkout" in message


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
