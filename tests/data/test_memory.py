"""Memory stays bounded on hostile input: a gzip bomb and an endless download, each in a child process
under an address-space limit (``resource.setrlimit(RLIMIT_AS)``) far below what the hostile input would take.
"""

from __future__ import annotations

import gzip
import shutil
import sys

import pytest
from hostile import FaultServer, files_of, gzip_bomb, run_limited

from digitlab.data import PINS, data_root

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc and RLIMIT_AS (Linux)")

REPO_DATA = data_root()
LIMIT = 1 * 2**30  # the child may map 1 GiB at most; a 4 GiB bomb inflated in memory would need 4 GiB
IMAGES, LABELS = "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    """4 GiB of zeros behind a real header, in about 4 MiB of gzip: one member, and 4096 members."""
    folder = tmp_path_factory.mktemp("bombs")
    images_header = gzip.decompress((REPO_DATA / IMAGES).read_bytes())[:16]
    labels_header = gzip.decompress((REPO_DATA / LABELS).read_bytes())[:8]
    (folder / "labels-bomb.gz").write_bytes(gzip_bomb(labels_header, 4 * 2**30))
    (folder / "images-bomb.gz").write_bytes(gzip_bomb(images_header, 4 * 2**30, members=4096))
    return folder


@pytest.mark.parametrize("bomb", ["labels-bomb.gz", "images-bomb.gz"])
def test_a_4_gib_gzip_bomb_is_refused_in_bounded_memory(bombs, bomb):
    path = bombs / bomb
    assert path.stat().st_size < 5 * 2**20
    got = run_limited(f"def work():\n    import digitlab\n    digitlab.read_idx({str(path)!r})\n", LIMIT)
    assert got["outcome"] == "IDXError", got
    assert bomb in got["message"] and "trailing bytes" in got["message"]
    assert got["peak_rss_mib"] < 250, got  # a real MNIST images file alone takes 45 MiB


def test_load_mnist_refuses_a_bomb_in_place_of_a_file_in_bounded_memory(bombs, tmp_path):
    for name in PINS:
        shutil.copy(REPO_DATA / name, tmp_path / name)
    shutil.copy(bombs / "images-bomb.gz", tmp_path / IMAGES)
    work = "def work():\n    import digitlab\n    digitlab.load_mnist()\n"
    got = run_limited(work, LIMIT, env={"DIGITLAB_DATA": str(tmp_path)})
    assert got["outcome"] == "MNISTFileError", got
    assert IMAGES in got["message"] and "damaged" in got["message"]
    assert got["peak_rss_mib"] < 350, got


def test_an_endless_download_is_stopped_in_bounded_memory_and_the_next_mirror_serves(tmp_path):
    server = FaultServer(files_of(REPO_DATA, PINS))
    try:
        for name in PINS:
            if name != IMAGES:
                shutil.copy(REPO_DATA / name, tmp_path / name)
        urls = [server.url("endless"), server.url("huge-length"), server.url("good")]
        work = (
            "def work():\n    from digitlab.fetch import fetch\n"
            f"    return fetch({str(tmp_path)!r}, urls={urls!r}, timeout=60)\n"
        )
        got = run_limited(work, LIMIT)
    finally:
        server.close()
    assert got["outcome"] == "returned", got
    assert got["result"][IMAGES] == server.url("good") + IMAGES
    assert got["peak_rss_mib"] < 350, got
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(PINS)  # no temporary file left
