"""``python -m digitlab fetch`` against a local HTTP server: a good file, a corrupted one, a 404."""

import gzip
import http.server
import os
import shutil
import threading
import time

import pytest
from hostile import FAULTS, FaultServer, files_of

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


# -- the fault matrix: every way a mirror can fail, each followed by a good mirror ------------------------

NAME = "train-labels-idx1-ubyte.gz"  # the file fetched in the matrix (small: the matrix stays fast)
#: Fault -> words the failed attempt's line holds.
EXPECTED = {
    "refused": ["Connection refused"],
    "missing": ["404"],
    "error": ["500"],
    "redirect-loop": ["redirect"],
    "corrupt": ["SHA-256", "does not match the pin"],
    "html": ["not readable gzip"],
    "short": ["short body", "28857"],
    "not-http": ["BadStatusLine"],
    "hang-up": ["RemoteDisconnected"],
    "many-headers": ["more than 100 headers"],
    "bad-chunk": ["IncompleteRead"],
    "huge-length": ["announces 1000000000000 bytes"],
    "endless": ["more than 126144 bytes", "stopped"],
    "bomb": ["damaged", "trailing bytes"],
    "drip": ["took longer than timeout=1.5 s"],
    "slow-headers": ["took longer than timeout=1.5 s"],
    "typo-scheme": ["htp://", "not an http://", "DIGITLAB_MIRRORS"],
    "typo-port": ["80a", "not a valid URL", "DIGITLAB_MIRRORS"],
    "typo-ipv6": ["[::1", "not a valid URL", "DIGITLAB_MIRRORS"],
    "typo-empty-host": ["http:///", "DIGITLAB_MIRRORS"],
}


@pytest.fixture(scope="module")
def faults():
    server = FaultServer(files_of(REPO_DATA, PINS))
    yield server
    server.close()


@pytest.fixture
def one_missing(tmp_path, monkeypatch):
    root = tmp_path / "data"
    root.mkdir()
    for name in PINS:
        if name != NAME:
            shutil.copy(REPO_DATA / name, root / name)
    monkeypatch.setenv("DIGITLAB_DATA", str(root))
    return root


def test_the_matrix_covers_every_fault():
    assert sorted(EXPECTED) == sorted(FAULTS)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_fails_its_mirror_then_the_next_mirror_serves_the_file(faults, one_missing, monkeypatch, fault):
    monkeypatch.setenv("DIGITLAB_MIRRORS", f"{faults.url(fault)},{faults.url('good')}")
    start = time.monotonic()
    report = fetch(timeout=1.5)
    assert time.monotonic() - start < 10
    assert report[NAME] == faults.url("good") + NAME
    assert verify(one_missing)[NAME] is None
    assert sorted(p.name for p in one_missing.iterdir()) == sorted(PINS)  # no temporary file left

    (one_missing / NAME).unlink()
    monkeypatch.setenv("DIGITLAB_MIRRORS", faults.url(fault))
    with pytest.raises(dl.MNISTFileError) as info:
        fetch(timeout=1.5)
    message = str(info.value)
    line = next(line for line in message.splitlines() if NAME in line and line.startswith("    "))
    missing = [w for w in EXPECTED[fault] if w not in line]
    assert not missing, f"{line!r} lacks {missing}"
    assert sorted(p.name for p in one_missing.iterdir()) == sorted(n for n in PINS if n != NAME)


def test_every_bad_file_is_named_with_every_attempt(faults, tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(b"junk")
    with pytest.raises(dl.MNISTFileError) as info:
        fetch(tmp_path, urls=[faults.url("missing"), faults.url("corrupt")])
    message = str(info.value)
    assert message.startswith("could not get 4 of the MNIST files")
    for name in PINS:
        assert f"{tmp_path / name}: could not download" in message
        assert f"{faults.url('missing')}{name}: HTTPError" in message and f"{faults.url('corrupt')}{name}:" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t10k-images-idx3-ubyte.gz"]


def test_the_timeout_is_a_deadline_for_the_whole_download(faults, tmp_path):
    start = time.monotonic()
    with pytest.raises(dl.MNISTFileError, match=r"took longer than timeout=1 s"):
        fetch(tmp_path, urls=[faults.url("drip")], timeout=1)
    assert time.monotonic() - start < 4 * 2  # four files, about a second each; per-read timeouts ran for ever


def test_data_folder_that_is_a_file_gets_a_clear_error(tmp_path, monkeypatch, capsys):
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    monkeypatch.setenv("DIGITLAB_DATA", str(a_file))
    for command in ("fetch", "verify"):
        assert main([command]) == 1
        err = capsys.readouterr().err
        assert str(a_file) in err and "DIGITLAB_DATA" in err and "is a file, not a folder" in err
    with pytest.raises(dl.MNISTFileError, match="is a file, not a folder"):
        fetch(a_file)


def test_a_folder_where_a_file_should_be_is_named_and_left_alone(faults, one_missing):
    (one_missing / NAME).mkdir()
    with pytest.raises(dl.MNISTFileError, match=f"{NAME}: a folder stands where the file should be"):
        fetch(urls=[faults.url("good")])
    assert (one_missing / NAME).is_dir()


def test_a_link_to_dev_null_is_replaced_by_the_real_file(faults, one_missing):
    (one_missing / NAME).symlink_to("/dev/null")
    assert "not a regular file" in verify(one_missing)[NAME]
    fetch(urls=[faults.url("good")])
    assert (one_missing / NAME).is_file() and not (one_missing / NAME).is_symlink()
    assert verify(one_missing)[NAME] is None
    assert os.path.exists("/dev/null")
