"""Get the MNIST files back: download from public mirrors, verify, write atomically.

Only needed when ``data/`` was damaged or deleted (the files are committed).
Each file is tried on each mirror in turn; a download is written to a
temporary file in the same folder, checked against its SHA-256 pin, and only
then renamed into place, so a failed or corrupted download never leaves a
half-written or unverified file behind. ``DIGITLAB_MIRRORS`` (comma-separated
base URLs) replaces the mirror list.
"""

from __future__ import annotations

import os
import tempfile
import urllib.request
from pathlib import Path

from .data import PINS, MNISTFileError, check_download, data_root, file_problem

__all__ = ["MIRRORS", "fetch", "mirrors", "verify"]

#: Public MNIST mirrors, tried in order (the original site refuses downloads now).
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)


def mirrors() -> list[str]:
    """The mirror base URLs: ``$DIGITLAB_MIRRORS`` if set, else ``MIRRORS``."""
    env = os.environ.get("DIGITLAB_MIRRORS")
    return [m.strip() for m in env.split(",") if m.strip()] if env else list(MIRRORS)


def verify(root: str | Path | None = None) -> dict[str, str | None]:
    """File name -> its problem in words, or ``None`` when it matches its pin."""
    folder = data_root(root)
    return {name: file_problem(folder / name) for name in PINS}


def _download(url: str, target: Path, timeout: float) -> None:
    """Download ``url``, check it against the pin of ``target``, then write it atomically."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        payload = response.read()
    check_download(payload, target.name, url)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fetch(root: str | Path | None = None, urls: list[str] | None = None, timeout: float = 30.0) -> dict[str, str]:
    """Download every missing or damaged MNIST file into ``root``.

    Parameters
    ----------
    root : str or Path, optional
        The data folder (default: see ``data_root``).
    urls : list of str, optional
        Mirror base URLs, tried in order (default: ``mirrors()``).

    Returns
    -------
    dict
        File name -> ``"ok"`` (already intact) or the URL it was fetched from.

    Raises
    ------
    MNISTFileError
        A file could not be had intact from any mirror; the message lists each attempt.
    """
    folder = data_root(root)
    folder.mkdir(parents=True, exist_ok=True)
    report = {}
    for name, problem in verify(folder).items():
        if problem is None:
            report[name] = "ok"
            continue
        attempts = []
        for base in urls or mirrors():
            url = base.rstrip("/") + "/" + name
            try:
                _download(url, folder / name, timeout)
            except OSError as exc:  # URLError, HTTPError, timeouts and MNISTFileError alike
                attempts.append(f"  {url}: {exc}")
                continue
            report[name] = url
            break
        else:
            raise MNISTFileError(f"{folder / name}: could not download an intact copy; tried:\n" + "\n".join(attempts))
    return report
