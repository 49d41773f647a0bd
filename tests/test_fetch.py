"""``python -m digitlab fetch`` against a local HTTP server: a good file, a corrupted one, a 404."""

import gzip
import http.server
import shutil
import threading

import pytest

import digitlab as dl
from digitlab.__main__ import main
from digitlab.data import PINS, data_root
from digitlab.fetch import fetch, verify

REPO_DATA = data_root()  # before any test points DIGITLAB_DATA elsewhere


@pytest.fixture
def server(tmp_path):
    """Serves ``good/`` (true copies), ``bad/`` (corrupted copies) and nothing else (404) on 127.0.0.1."""
    for sub in ("good", "bad"):
        (tmp_path / "www" / sub).mkdir(parents=True)
    for name in PINS:
        shutil.copy(REPO_DATA / name, tmp_path / "www" / "good" / name)
        raw = bytearray(gzip.decompress((REPO_DATA / name).read_bytes()))
        raw[-1] ^= 0xFF
        (tmp_path / "www" / "bad" / name).write_bytes(gzip.compress(bytes(raw), compresslevel=1))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path / "www"), **kwargs)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def empty_root(tmp_path, monkeypatch):
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("DIGITLAB_DATA", str(root))
    return root


def test_fetch_skips_404_and_corrupted_mirrors_and_writes_verified_files(server, empty_root, monkeypatch, capsys):
    monkeypatch.setenv("DIGITLAB_MIRRORS", f"{server}/missing/,{server}/bad/,{server}/good/")
    assert main(["fetch"]) == 0
    out = capsys.readouterr().out
    assert out.count(f"downloaded from {server}/good/") == 4
    assert sorted(p.name for p in empty_root.iterdir()) == sorted(PINS)  # no temporary files left
    assert all(problem is None for problem in verify(empty_root).values())
    assert dl.load_mnist().train_images.shape == (60000, 28, 28)
    assert main(["fetch"]) == 0 and capsys.readouterr().out.count("already intact") == 4


def test_failed_download_leaves_no_file_and_names_every_attempt(server, empty_root):
    with pytest.raises(dl.MNISTFileError) as info:
        fetch(empty_root, urls=[f"{server}/missing/", f"{server}/bad/"])
    message = str(info.value)
    assert "404" in message and "SHA-256" in message
    assert list(empty_root.iterdir()) == []


def test_fetch_replaces_a_damaged_file_and_keeps_intact_ones(server, empty_root):
    for name in PINS:
        shutil.copy(REPO_DATA / name, empty_root / name)
    damaged = empty_root / "t10k-labels-idx1-ubyte.gz"
    damaged.write_bytes(b"not gzip at all")
    report = fetch(empty_root, urls=[f"{server}/good/"])
    assert report["t10k-labels-idx1-ubyte.gz"].startswith(server)
    assert sum(v == "ok" for v in report.values()) == 3
    assert verify(empty_root)["t10k-labels-idx1-ubyte.gz"] is None


def test_verify_command_reports_the_state(empty_root, capsys):
    assert main(["verify"]) == 1
    assert capsys.readouterr().out.count("missing") == 4
    for name in PINS:
        shutil.copy(REPO_DATA / name, empty_root / name)
    assert main(["verify"]) == 0
    assert capsys.readouterr().out.count("ok ") == 4
