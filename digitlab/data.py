"""The MNIST files: where they live, whether they are intact, and their arrays.

The four gzipped IDX files are committed under the repository's ``data/``
folder, so nothing here needs the network. Each file is checked against the
SHA-256 of its decompressed content (the pins below, also listed in
``data/README.md``) while it is read, with memory bounded by its known size.
A verdict is remembered per process by the SHA-256 of the file's compressed
bytes, so a second load of the same bytes does not hash the decompressed
content again, and no other file can pass for it. ``DIGITLAB_DATA`` points
the package at another folder.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import validate
from .idx import GzipDataError, IDXError, read_stream

__all__ = [
    "MNIST",
    "MNISTFileError",
    "PINS",
    "SIZES",
    "check_download",
    "data_root",
    "download_cap",
    "file_problem",
    "load_mnist",
]

#: File name (gzipped) -> SHA-256 of its decompressed content.
PINS = {
    "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
#: File name (gzipped) -> size in bytes of its decompressed content (header included).
SIZES = {
    "train-images-idx3-ubyte.gz": 16 + 60_000 * 28 * 28,
    "train-labels-idx1-ubyte.gz": 8 + 60_000,
    "t10k-images-idx3-ubyte.gz": 16 + 10_000 * 28 * 28,
    "t10k-labels-idx1-ubyte.gz": 8 + 10_000,
}
REPO_DATA = Path(__file__).resolve().parent.parent / "data"
_verified: set[tuple[str, bytes]] = set()  # (file name, SHA-256 of the compressed bytes) found intact


class MNIST(NamedTuple):
    """MNIST as arrays: images ``uint8 (n, 28, 28)``, labels ``uint8 (n,)``."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


class MNISTFileError(OSError):
    """An MNIST file is missing or damaged (the message says how to restore it)."""


def download_cap(name: str) -> int:
    """The most bytes a gzip of MNIST file ``name`` can take: its content plus a little (stored blocks)."""
    return SIZES[name] + SIZES[name] // 100 + 65_536


def data_root(root: str | Path | None = None) -> Path:
    """The data folder: ``root``, else ``$DIGITLAB_DATA``, else the repository's ``data/``.

    Raises ``MNISTFileError`` when that names a file rather than a folder.
    """
    if root is not None:
        folder, source = Path(root), f"root={str(root)!r}"
    elif os.environ.get("DIGITLAB_DATA"):
        folder, source = Path(os.environ["DIGITLAB_DATA"]), "the environment variable DIGITLAB_DATA"
    else:
        return REPO_DATA
    try:
        return validate.data_folder(folder, source)
    except NotADirectoryError as exc:
        raise MNISTFileError(str(exc)) from None


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def advice(folder: Path, many: bool = False) -> str:
    """How to get a file of ``folder`` back, in words that fit where the folder came from."""
    it = "them" if many else "it"
    if _same(folder, REPO_DATA):
        return f"restore {it} with `git checkout -- data/` or `python -m digitlab fetch`"
    env = os.environ.get("DIGITLAB_DATA")
    if env and _same(folder, Path(env)):
        return (
            f"download {it} again with `python -m digitlab fetch` (it writes into DIGITLAB_DATA={env}), "
            "or unset DIGITLAB_DATA to use the repository's data/"
        )
    return f"download {it} again with `python -m digitlab fetch --root {folder}`"


def _kind_problem(path: Path) -> str | None:
    """What is wrong with the directory entry itself: missing, a folder, a link to nowhere or to a device."""
    if path.is_symlink() and not path.exists():
        return f"a broken link (to {os.readlink(path)})"
    if not path.exists():
        return "missing"
    if path.is_dir():
        return "a folder, not a file: move it away"
    if not path.is_file():
        return f"not a regular file (it is, or links to, {path.resolve()}): remove it"
    return None


def _problem_of_stream(
    file, name: str, path: Path, remember: bytes | None = None, size: int | None = None
) -> tuple[np.ndarray | None, str]:
    """Decode and check one MNIST file's bytes: ``(array, "")``, or ``(None, what is wrong)``.

    ``remember``, the SHA-256 of the compressed bytes, skips the hash when those bytes were found intact before.
    """
    key = None if remember is None else (name, remember)
    hasher = None if key in _verified else hashlib.sha256()
    try:
        array = read_stream(file, path, max_bytes=SIZES[name], hasher=hasher, size=size)
    except GzipDataError as exc:
        return None, f"damaged, not readable gzip ({str(exc).removeprefix(f'{path}: ')})"
    except IDXError as exc:
        return None, f"damaged, not the IDX file it should be ({str(exc).removeprefix(f'{path}: ')})"
    if hasher is not None:
        digest = hasher.hexdigest()
        if digest != PINS[name]:
            return None, f"damaged, SHA-256 {digest[:12]}... does not match the pin {PINS[name][:12]}..."
        if key is not None:
            _verified.add(key)
    return array, ""


def _load(path: Path) -> tuple[np.ndarray | None, str]:
    """One MNIST file as an array, checked against its pin: ``(array, "")`` or ``(None, problem)``."""
    name = path.name
    problem = _kind_problem(path)
    if problem:
        return None, problem
    cap = download_cap(name)
    try:
        with path.open("rb") as file:
            gz = file.read(cap + 1)  # bounded: a real copy is far smaller
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or exc})"
    if len(gz) > cap:
        return None, f"damaged: more than {cap} bytes, far more than any gzip of this file needs"
    return _problem_of_stream(io.BytesIO(gz), name, path, remember=hashlib.sha256(gz).digest(), size=len(gz))


def file_problem(path: Path) -> str | None:
    """What is wrong with one MNIST file, in words with how to restore it (``None`` when it matches its pin)."""
    _, problem = _load(Path(path))
    return f"{path}: {problem}; {advice(Path(path).parent)}" if problem else None


def check_download(gz_bytes: bytes, name: str, source: str) -> None:
    """Raise ``MNISTFileError`` unless ``gz_bytes`` is the pinned content of file ``name``."""
    check_downloaded_file(io.BytesIO(gz_bytes), name, source)


def check_downloaded_file(file, name: str, source: str) -> None:
    """Raise ``MNISTFileError`` unless the open binary ``file`` holds the pinned content of ``name``."""
    _, problem = _problem_of_stream(file, name, Path(source))
    if problem:
        raise MNISTFileError(f"{source}: {problem}")


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
        A file is missing or damaged, or the folder is a file; the message names
        every bad file and says how to restore them.

    Introduced in ``02_logistic_regression.ipynb``.
    """
    folder = data_root(root)
    arrays, problems = [], []
    for name in PINS:
        array, problem = _load(folder / name)
        arrays.append(array)
        if problem:
            problems.append(f"{folder / name}: {problem}")
    if len(problems) == 1:
        raise MNISTFileError(f"{problems[0]}; {advice(folder)}")
    if problems:
        listed = "\n".join(f"  {p}" for p in problems)
        raise MNISTFileError(
            f"{len(problems)} MNIST files are missing or damaged; {advice(folder, many=True)}:\n{listed}"
        )
    return MNIST(*arrays)
