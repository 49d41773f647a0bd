"""The explorer's disk cache: solved lambdas kept across sessions, and the one place digitlab deletes files.

``PathStore`` keeps one small ``.npz`` per solution (weights and numbers, no
pickles) in a folder named by ``store_key`` (the data's pins and the solving
code's version) under ``cache_root()``: ``$DIGITLAB_CACHE``, else
``$XDG_CACHE_HOME/digitlab``, else ``~/.cache/digitlab``; ``DIGITLAB_CACHE=off``
for none. Users point cache variables at shared folders, home directories and
links, so the store trusts nothing it finds there:

- **Reading** checks every entry before it is used: a regular file of a sane
  size, a zip of exactly the expected arrays, each header read before its data
  (the shape, dtype and byte count must be what a solution has, so a header
  claiming 10**12 floats costs nothing), finite numbers, accuracies in [0, 1],
  counts that add up. Anything else is treated as absent: solved again and
  replaced (``save`` renames a whole file over it).
- **Writing** goes through a temporary file in the same folder, renamed into
  place; a save that fails (read-only, full or missing folder) removes its
  temporary file and is otherwise ignored: the explorer keeps its answer.
- **Pruning** (``prune``) removes only what digitlab wrote: store folders named
  like a ``store_key`` that carry digitlab's marker file, other than the current
  one, unused for ``STORE_DAYS``; in each, only files named like its entries, its
  temporary files and its marker; then the folder if that left it empty. Every
  name is examined with ``lstat``, so no symbolic link is followed, neither for
  a folder nor for an entry. Anything else in the cache root stays, however old.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import stat
import struct
import tempfile
import time
import tokenize
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..optimum import ALL_DIGITS, Solution, solution_shape
from .path import lam_key, pins_digest

__all__ = ["MARKER", "STORE_DAYS", "PathStore", "cache_root", "default_store", "prune", "store_key"]

STORE_DAYS = 30  # a store folder (an older version of the code or data) unused this long is removed
MARKER = "CACHEDIR.TAG"  # the Cache Directory Tagging convention: backup tools skip the folder too
MARKER_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file marks a cache folder made by digitlab (its explorer's solved lambdas).\n"
    "# digitlab may delete this folder's entries when they are a month old; nothing else in it.\n"
)
KEY_NAME = re.compile(r"[0-9a-f]{16}")  # a store folder's name: ``store_key()``
ENTRY_NAME = re.compile(r"(all|\d-\d)_(l1|l2)_-?\d{1,13}\.npz")  # an entry's name: ``PathStore._file``
TEMP_PREFIX, TEMP_SUFFIX = ".entry-", ".tmp"  # a temporary file of ``save``
TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + r"[A-Za-z0-9_]{1,32}" + re.escape(TEMP_SUFFIX))
ENTRY_MAX_BYTES = 1 << 20  # a ten-digit entry is about 63 KB; anything far larger is not one of ours
WEIGHT_DTYPES = ("<f8", "<f4")
#: The modules whose source decides a solution (``store_key`` hashes them), relative to the package.
SOLVING_CODE = ("explorer/path.py", "explorer/store.py", "optimum.py", "solvers.py", "kernels.py", "splits.py")
SOLVING_CODE += ("data.py", "idx.py")


def cache_root() -> Path | None:
    """``$DIGITLAB_CACHE``, else ``$XDG_CACHE_HOME/digitlab``, else ``~/.cache/digitlab``; None when it is "off"."""
    root = os.environ.get("DIGITLAB_CACHE", "")
    if root.lower() in ("off", "0", "none", "no"):
        return None
    if not root:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "digitlab"
    return Path(root)


@functools.lru_cache(maxsize=1)
def store_key() -> str:
    """The data's SHA-256 pins and the solving code's version (its source, NumPy's and SciPy's), as 16 hex digits."""
    import scipy

    digest = pins_digest()
    package = Path(__file__).resolve().parent.parent
    for module in SOLVING_CODE:
        digest.update((package / module).read_bytes())
    digest.update(f"numpy {np.__version__} scipy {scipy.__version__}".encode())
    return digest.hexdigest()[:16]


def default_store() -> PathStore | None:
    """The ``PathStore`` under ``cache_root()`` (default ``~/.cache/digitlab``), or None when it is "off".

    Old store folders of digitlab's own are pruned first (``prune``)."""
    root = cache_root()
    if root is None:
        return None
    folder = root / "explorer" / store_key()
    prune(folder.parent, keep=folder.name)
    return PathStore(folder)


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _is_real_dir(path: Path) -> bool:
    found = _lstat(path)
    return found is not None and stat.S_ISDIR(found.st_mode)


def is_marked(folder: Path) -> bool:
    """Whether ``folder`` (not a link) carries digitlab's marker file (a regular file, not a link, as written)."""
    marker = folder / MARKER
    found = _lstat(marker)
    if not _is_real_dir(folder) or found is None or not stat.S_ISREG(found.st_mode) or found.st_size > 4096:
        return False
    try:
        return marker.read_text(encoding="utf-8") == MARKER_TEXT
    except (OSError, ValueError):
        return False


def prune(parent: Path, keep: str, days: float = STORE_DAYS) -> list[str]:
    """Remove digitlab's own store folders in ``parent`` other than ``keep``, unused for ``days``.

    Only folders named like a ``store_key`` and marked (``is_marked``) are looked into, and in them only
    regular files named like entries or temporary files, then the marker and the folder if nothing else
    is left. Each folder is opened without following a link (``O_NOFOLLOW``) and everything in it is
    examined and removed relative to that open folder, so no link is followed at any step. Where the
    system cannot do that (no ``dir_fd`` support), nothing is removed. Returns the names removed.
    """
    removed: list[str] = []
    safe = {os.open, os.unlink, os.stat} <= os.supports_dir_fd and os.listdir in os.supports_fd
    if not safe or not _is_real_dir(parent):
        return removed
    now = time.time()
    try:
        names = sorted(os.listdir(parent))
    except OSError:
        return removed
    for name in names:
        folder = parent / name
        found = _lstat(folder)
        if name == keep or not KEY_NAME.fullmatch(name) or found is None or not stat.S_ISDIR(found.st_mode):
            continue
        if now - found.st_mtime <= days * 86400 or not is_marked(folder):
            continue
        removed += _empty_store_folder(parent, name)
    return removed


def _empty_store_folder(parent: Path, name: str) -> list[str]:
    """Remove a marked store folder's own files and then the folder, if that empties it (see ``prune``)."""
    removed = []
    try:
        fd = os.open(parent / name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return removed
    try:
        inside = os.listdir(fd)
        ours = [n for n in inside if ENTRY_NAME.fullmatch(n) or TEMP_NAME.fullmatch(n)]
        if len(ours) == len(inside) - 1 and MARKER in inside:
            ours.append(MARKER)  # nothing else there: the marker goes last
        for entry in ours:
            with contextlib.suppress(OSError):
                if stat.S_ISREG(os.stat(entry, dir_fd=fd, follow_symlinks=False).st_mode):
                    os.unlink(entry, dir_fd=fd)
                    removed.append(f"{name}/{entry}")
    except OSError:
        return removed
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        os.rmdir(parent / name)  # only when empty: anything not ours keeps it
        removed.append(name)
    return removed


def _read_array(archive: zipfile.ZipFile, name: str, shape: tuple, dtypes: tuple[str, ...]) -> np.ndarray:
    """One array of an ``.npz``, its header checked before its data is read: ``shape`` and one of ``dtypes``."""
    with archive.open(name) as member:
        version = np.lib.format.read_magic(member)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"{name}: array format {version}")
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        with warnings.catch_warnings():  # a damaged header's text may warn as it is parsed: it is refused anyway
            warnings.simplefilter("ignore")
            found_shape, fortran, dtype = read_header(member)
        if found_shape != shape or fortran or dtype.str not in dtypes:
            raise ValueError(f"{name}: {found_shape} {dtype} where {shape} {dtypes} was expected")
        size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        data = member.read(size + 1)
    if len(data) != size:
        raise ValueError(f"{name}: {len(data)} bytes of data where {size} were expected")
    return np.frombuffer(data, dtype=dtype).reshape(shape)


class PathStore:
    """Solutions on disk, one ``.npz`` each (weights and numbers; no pickles), in one folder per ``store_key``.

    ``load`` returns None for an entry that is missing or fails any check (it is then solved again and
    replaced); ``save`` never raises for a folder that cannot be written.
    """

    INTS = ("zero_count", "unseen_count", "near_zero_count", "size", "iterations", "test_correct", "test_total")
    INTS += ("holdout_correct", "holdout_total")
    FLOATS = ("train_acc", "holdout_acc", "test_acc", "norm", "objective")
    FIELDS = ("train_acc", "holdout_acc", "test_acc", "norm", "zero_count", "unseen_count", "near_zero_count")
    FIELDS += ("size", "objective", "iterations", "test_correct", "test_total", "holdout_correct", "holdout_total")

    def __init__(self, folder):
        self.folder = Path(folder)

    def _file(self, task, penalty: str, lam: float) -> Path:
        name = ALL_DIGITS if task == ALL_DIGITS else f"{task[0]}-{task[1]}"
        return self.folder / f"{name}_{penalty}_{lam_key(lam)}.npz"

    def load(self, task, penalty: str, lam: float) -> Solution | None:
        """The solution kept for this lambda, or None when there is none or the entry fails a check."""
        path = self._file(task, penalty, lam)
        found = _lstat(path)
        if found is None or not stat.S_ISREG(found.st_mode) or found.st_size > ENTRY_MAX_BYTES:
            return None
        try:
            with open(path, "rb") as file:
                raw = file.read(ENTRY_MAX_BYTES + 1)
        except OSError:
            return None
        return self.parse(raw, task, penalty, lam)

    def parse(self, raw: bytes, task, penalty: str, lam: float) -> Solution | None:
        """The solution an entry's bytes hold, or None when they fail a check (see the module docstring)."""
        if len(raw) > ENTRY_MAX_BYTES:
            return None
        try:
            return self._parse(raw, task, penalty, lam)
        except (ValueError, KeyError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error):
            return None
        except (NotImplementedError, RuntimeError, OverflowError, struct.error, SyntaxError, tokenize.TokenError):
            return None  # compressed or encrypted as no save of ours writes, or a header NumPy cannot parse

    def _parse(self, raw: bytes, task, penalty: str, lam: float) -> Solution | None:
        shape = solution_shape(task)
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = {info.filename: info for info in archive.infolist()}
            if set(names) != {f"{field}.npy" for field in ("w", *self.FIELDS)}:
                return None
            if any(info.file_size > ENTRY_MAX_BYTES for info in names.values()):
                return None
            w = _read_array(archive, "w.npy", shape, WEIGHT_DTYPES).astype(np.float64)
            numbers = {f: _read_array(archive, f"{f}.npy", (), ("<f8",)).item() for f in self.FLOATS}
            numbers |= {f: _read_array(archive, f"{f}.npy", (), ("<i8", "<i4")).item() for f in self.INTS}
        if not np.all(np.isfinite(w)) or not all(np.isfinite(numbers[f]) for f in self.FLOATS):
            return None
        size = int(np.prod(shape)) - (shape[1] if len(shape) == 2 else 1)  # the bias row left out
        counts_add_up = (
            all(numbers[f] >= 0 for f in self.INTS)
            and numbers["size"] == size
            and numbers["unseen_count"] <= numbers["zero_count"] <= numbers["near_zero_count"] <= size
            and numbers["test_total"] > 0
            and numbers["test_correct"] <= numbers["test_total"]
            and numbers["test_acc"] == numbers["test_correct"] / numbers["test_total"]
            and numbers["holdout_total"] > 0
            and numbers["holdout_correct"] <= numbers["holdout_total"]
            and numbers["holdout_acc"] == numbers["holdout_correct"] / numbers["holdout_total"]
        )
        in_range = 0 <= numbers["train_acc"] <= 1 and numbers["norm"] >= 0
        if not (counts_add_up and in_range):
            return None
        return Solution(task, penalty, float(lam), w, **numbers)

    def save(self, solution: Solution) -> None:
        """Write ``solution`` whole (a temporary file renamed into place), or not at all."""
        temp = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._mark()
            path = self._file(solution.task, solution.penalty, solution.lam)
            named = {"dir": self.folder, "prefix": TEMP_PREFIX, "suffix": TEMP_SUFFIX, "delete": False}
            with tempfile.NamedTemporaryFile(**named) as out:
                temp = out.name
                np.savez(out, w=solution.w, **{field: getattr(solution, field) for field in self.FIELDS})
            os.replace(temp, path)
            temp = None
        except OSError:
            pass  # read-only, full or missing: the answer is shown all the same
        finally:
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)

    def _mark(self) -> None:
        """Put digitlab's marker file in the folder, unless it is there already."""
        if is_marked(self.folder):
            return
        marker = self.folder / MARKER
        if _lstat(marker) is not None:
            return  # something else by that name: leave it (and the folder is never pruned)
        marker.write_text(MARKER_TEXT, encoding="utf-8")
