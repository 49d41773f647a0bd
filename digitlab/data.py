"""The MNIST files: where they live, whether they are intact, and their arrays.

The four gzipped IDX files are committed under the repository's ``data/``
folder, so nothing here needs the network. Each file is checked against the
SHA-256 of its decompressed content (the pins below, also listed in
``data/README.md``); the verdict is cached per process, so a second load does
not hash again. ``DIGITLAB_DATA`` points the package at another folder.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .idx import decode_idx, gunzip

__all__ = ["MNIST", "MNISTFileError", "PINS", "check_download", "data_root", "file_problem", "load_mnist"]

#: File name (gzipped) -> SHA-256 of its decompressed content.
PINS = {
    "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
_RESTORE = "restore it with `git checkout -- data/` or `python -m digitlab fetch`"
_verified: set[tuple[str, int, int]] = set()


class MNIST(NamedTuple):
    """MNIST as arrays: images ``uint8 (n, 28, 28)``, labels ``uint8 (n,)``."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


class MNISTFileError(OSError):
    """An MNIST file is missing or damaged (the message says how to restore it)."""


def data_root(root: str | Path | None = None) -> Path:
    """The data folder: ``root``, else ``$DIGITLAB_DATA``, else the repository's ``data/``."""
    if root is not None:
        return Path(root)
    if os.environ.get("DIGITLAB_DATA"):
        return Path(os.environ["DIGITLAB_DATA"])
    return Path(__file__).resolve().parent.parent / "data"


def _decompress(gz_bytes: bytes, path: Path) -> bytes:
    try:
        return gunzip(gz_bytes)
    except ValueError as exc:
        raise MNISTFileError(f"{path}: damaged, not readable gzip ({exc}); {_RESTORE}") from None


def _check_pin(raw: bytes, name: str, path: Path) -> None:
    digest = hashlib.sha256(raw).hexdigest()
    if digest != PINS[name]:
        raise MNISTFileError(
            f"{path}: damaged, SHA-256 {digest[:12]}... does not match the pin {PINS[name][:12]}...; {_RESTORE}"
        )


def check_download(gz_bytes: bytes, name: str, source: str) -> None:
    """Raise ``MNISTFileError`` unless ``gz_bytes`` is the pinned content of file ``name``."""
    _check_pin(_decompress(gz_bytes, Path(source)), name, Path(source))


def _verified_bytes(path: Path) -> bytes:
    """The decompressed content of one MNIST file, checked against its pin once per process."""
    if not path.is_file():
        raise MNISTFileError(f"{path}: missing; {_RESTORE}")
    stat = path.stat()
    raw = _decompress(path.read_bytes(), path)
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _verified:
        _check_pin(raw, path.name, path)
        _verified.add(key)
    return raw


def file_problem(path: Path) -> str | None:
    """What is wrong with one MNIST file, in words (``None`` when it matches its pin)."""
    try:
        _verified_bytes(path)
    except MNISTFileError as exc:
        return str(exc)
    return None


def load_mnist(root: str | Path | None = None) -> MNIST:
    """Load the four MNIST files, checked against their SHA-256 pins.

    Parameters
    ----------
    root : str or Path, optional
        Folder holding the four ``*.gz`` files; default ``$DIGITLAB_DATA`` or
        the repository's ``data/`` (never the working directory).

    Returns
    -------
    MNIST
        ``train_images (60000, 28, 28)``, ``train_labels (60000,)``,
        ``test_images (10000, 28, 28)``, ``test_labels (10000,)``, all uint8.

    Raises
    ------
    MNISTFileError
        A file is missing or damaged; the message names it and how to restore it.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    folder = data_root(root)
    return MNIST(*(decode_idx(_verified_bytes(folder / name), folder / name) for name in PINS))
