"""The explorer's disk cache: it deletes nothing it did not write and believes nothing it reads unchecked."""

import errno
import hashlib
import io
import os
import time
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digitlab.explorer import store as path_store
from digitlab.explorer.path import PathCache, solve_for_lambda
from digitlab.explorer.store import MARKER, STORE_DAYS, PathStore, default_store, prune, store_key

TASK, PENALTY, LAM = (2, 3), "l1", 1e-2
OLD = time.time() - (STORE_DAYS + 1) * 86400


@pytest.fixture(autouse=True)
def cache_root(tmp_path, monkeypatch):
    """Every store here lives in a folder of this test's own."""
    root = tmp_path / "cache"
    monkeypatch.setenv("DIGITLAB_CACHE", str(root))
    return root


@pytest.fixture(scope="module")
def solution():
    return solve_for_lambda(TASK, PENALTY, LAM)


@pytest.fixture(scope="module")
def entry(solution, tmp_path_factory):
    """The bytes of a good entry for ``solution``, as ``save`` writes them."""
    store = PathStore(tmp_path_factory.mktemp("store"))
    store.save(solution)
    return store._file(TASK, PENALTY, LAM).read_bytes()


def _age(path, when=OLD):
    os.utime(path, (when, when), follow_symlinks=False)


def _marked_store(parent, name, entries=("2-3_l1_-2000000000.npz",)):
    folder = parent / name
    folder.mkdir(parents=True)
    (folder / MARKER).write_text(path_store.MARKER_TEXT)
    for entry in entries:
        (folder / entry).write_bytes(b"an entry")
    _age(folder)
    return folder


# -- pruning ------------------------------------------------------------------------------------------


def test_paths_are_kept_on_disk_for_the_next_session(cache_root, solution):
    store = default_store()
    assert store.folder == cache_root / "explorer" / store_key()  # keyed by the pins and the code
    store.save(solution)
    kept = PathCache(store=default_store()).get(TASK, PENALTY, LAM)  # the next session
    assert kept is not None and np.array_equal(kept.w, solution.w) and kept.zero_count == solution.zero_count
    assert kept.objective == solution.objective and kept.test_acc == solution.test_acc
    assert (store.folder / MARKER).read_text() == path_store.MARKER_TEXT


def test_the_disk_cache_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("DIGITLAB_CACHE", "off")
    assert default_store() is None


def test_old_store_folders_of_digitlab_are_removed_and_recent_ones_kept(cache_root):
    parent = cache_root / "explorer"
    old = _marked_store(
        parent, "0123456789abcdef", ["2-3_l1_-2000000000.npz", "all_l2_-3000000000.npz", ".entry-x1_.tmp"]
    )
    recent = _marked_store(parent, "fedcba9876543210")
    _age(recent, time.time())
    store = default_store()
    assert not old.exists() and recent.exists() and store.folder.parent == parent


def test_pruning_leaves_everything_that_digitlab_did_not_write(cache_root, tmp_path):
    """An unrelated old folder, an unrelated old file and a link to an outside folder, all old: untouched."""
    parent = cache_root / "explorer"
    outside = tmp_path / "someone_else"
    (outside / "thesis").mkdir(parents=True)
    (outside / "thesis" / "chapter1.tex").write_text("years of work")
    (parent / "src").mkdir(parents=True)
    (parent / "src" / "main.c").write_text("int main;")
    (parent / "notes.txt").write_text("mine")
    (parent / "0123456789abcdee").symlink_to(outside, target_is_directory=True)  # named like a store, a link
    unmarked = parent / "00000000000000aa"  # named like a store, no marker: not ours
    unmarked.mkdir()
    (unmarked / "2-3_l1_-2000000000.npz").write_bytes(b"looks like an entry")
    for path in (
        parent / "src",
        parent / "src" / "main.c",
        parent / "notes.txt",
        unmarked,
        parent / "0123456789abcdee",
    ):
        _age(path)

    assert prune(parent, keep=store_key()) == []
    default_store()  # the explorer's own call prunes too
    assert (parent / "src" / "main.c").read_text() == "int main;"
    assert (parent / "notes.txt").read_text() == "mine"
    assert (outside / "thesis" / "chapter1.tex").read_text() == "years of work"
    assert (parent / "0123456789abcdee").is_symlink()
    assert (unmarked / "2-3_l1_-2000000000.npz").exists()


def test_pruning_never_follows_a_link_for_the_store_parent(cache_root, tmp_path):
    """``explorer`` itself a link to another user's folder holding an old marked store: nothing removed there."""
    other = tmp_path / "other_user"
    theirs = _marked_store(other, "0123456789abcdef", ["2-3_l1_-2000000000.npz"])
    (theirs / "thesis").mkdir()
    cache_root.mkdir()
    (cache_root / "explorer").symlink_to(other, target_is_directory=True)
    assert prune(cache_root / "explorer", keep=store_key()) == []
    default_store()
    assert (theirs / "2-3_l1_-2000000000.npz").exists() and (theirs / "thesis").is_dir()


def test_pruning_removes_only_its_own_files_from_a_marked_folder(cache_root, tmp_path):
    parent = cache_root / "explorer"
    outside = tmp_path / "outside.npz"
    outside.write_bytes(b"keep me")
    folder = _marked_store(parent, "0123456789abcdef", ["2-3_l1_-2000000000.npz"])
    (folder / "all_l2_-3000000000.npz").symlink_to(outside)  # an entry's name, but a link: never followed
    (folder / "results.csv").write_text("a user's file dropped in the cache")
    _age(folder)
    removed = prune(parent, keep=store_key())
    assert removed == ["0123456789abcdef/2-3_l1_-2000000000.npz"]
    assert (folder / "results.csv").exists() and (folder / MARKER).exists() and outside.read_bytes() == b"keep me"
    assert (folder / "all_l2_-3000000000.npz").is_symlink()


def test_a_marker_of_other_content_or_a_linked_marker_is_not_digitlabs(cache_root, tmp_path):
    parent = cache_root / "explorer"
    forged = _marked_store(parent, "0123456789abcdef")
    (forged / MARKER).write_text("Signature: 8a477f597d28d172789f06886806bc55\n# another program's cache\n")
    _age(forged)
    linked = _marked_store(parent, "0123456789abcdee")
    (linked / MARKER).unlink()
    real_marker = tmp_path / "marker"
    real_marker.write_text(path_store.MARKER_TEXT)
    (linked / MARKER).symlink_to(real_marker)
    _age(linked)
    assert prune(parent, keep=store_key()) == []


# -- reading back -------------------------------------------------------------------------------------


def _members(raw: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _npy(array, shape=None) -> bytes:
    """``array`` as ``.npy`` bytes; ``shape`` overrides what the header claims."""
    out = io.BytesIO()
    header = np.lib.format.header_data_from_array_1_0(np.asarray(array))
    if shape is not None:
        header["shape"] = shape
    np.lib.format.write_array_header_1_0(out, header)
    out.write(np.ascontiguousarray(array).tobytes())
    return out.getvalue()


def _changed(entry: bytes, **members) -> bytes:
    """``entry`` with members replaced (bytes or arrays), added, or removed (None)."""
    parts = _members(entry)
    for name, value in members.items():
        if value is None:
            parts.pop(f"{name}.npy")
        else:
            parts[f"{name}.npy"] = value if isinstance(value, bytes) else _npy(value)
    return _zip(parts)


def _flip(entry: bytes, position: int) -> bytes:
    damaged = bytearray(entry)
    damaged[position] ^= 0x20
    return bytes(damaged)


DAMAGED = {
    "empty file": lambda e, w: b"",
    "cut short (half)": lambda e, w: e[: len(e) // 2],
    "cut short (last byte)": lambda e, w: e[:-1],
    "one byte changed in the weights": lambda e, w: _flip(e, len(e) // 3),
    "one byte changed in the directory": lambda e, w: _flip(e, len(e) - 30),
    "not a zip": lambda e, w: b"not a file of weights" * 100,
    "header claims 10**12 floats": lambda e, w: _changed(e, w=_npy(w, shape=(10**12,))),
    "header claims another shape": lambda e, w: _changed(e, w=w.reshape(5, 157)),
    "weights as strings": lambda e, w: _changed(e, w=w.astype(str)),
    "weights as objects": lambda e, w: _changed(e, w=_npy(np.zeros(785), shape=(785,)).replace(b"<f8", b"|O8")),
    "weights as integers": lambda e, w: _changed(e, w=w.astype(np.int64)),
    "weights big-endian": lambda e, w: _changed(e, w=w.astype(">f8")),
    "a weight NaN": lambda e, w: _changed(e, w=np.where(np.arange(785) == 7, np.nan, w)),
    "a weight infinite": lambda e, w: _changed(e, w=np.where(np.arange(785) == 7, np.inf, w)),
    "fewer weights than the header says": lambda e, w: _changed(e, w=_npy(w[:-1], shape=(785,))),
    "more weights than the header says": lambda e, w: _changed(e, w=_npy(np.append(w, 1.0), shape=(785,))),
    "test accuracy a string": lambda e, w: _changed(e, test_acc=np.array("xxxxx")),
    "objective NaN": lambda e, w: _changed(e, objective=np.array(np.nan)),
    "accuracy above 1": lambda e, w: _changed(e, train_acc=np.array(1.5)),
    "a count negative": lambda e, w: _changed(e, zero_count=np.array(-1)),
    "a count as a float": lambda e, w: _changed(e, zero_count=np.array(12.0)),
    "test accuracy not the count's": lambda e, w: _changed(e, test_acc=np.array(0.5)),
    "size of another task": lambda e, w: _changed(e, size=np.array(7840)),
    "a number missing": lambda e, w: _changed(e, norm=None),
    "a member added": lambda e, w: _zip({**_members(e), "extra.npy": _npy(np.zeros(3))}),
    "a number as an array": lambda e, w: _changed(e, norm=np.array([1.0, 2.0])),
    "far larger than an entry": lambda e, w: e + b"\0" * (path_store.ENTRY_MAX_BYTES + 1),
}


@pytest.mark.parametrize("damage", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_entry_is_treated_as_absent_then_solved_again_and_replaced(damage, entry, solution):
    store = default_store()
    store.save(solution)
    file = store._file(TASK, PENALTY, LAM)
    file.write_bytes(damage(entry, solution.w))
    assert store.load(TASK, PENALTY, LAM) is None
    again = PathCache(store=store).solve(TASK, PENALTY, LAM)
    assert again.objective == pytest.approx(solution.objective, rel=1e-9)
    assert file.read_bytes() != damage(entry, solution.w)  # replaced, whole
    assert store.load(TASK, PENALTY, LAM).objective == again.objective
    assert sorted(p.name for p in store.folder.iterdir()) == sorted([MARKER, file.name])


def test_the_good_entry_of_the_damage_table_reads_back(entry, solution):
    """The table's starting point is a good entry: the damage, not the entry, is what is refused."""
    read = PathStore(".").parse(entry, TASK, PENALTY, LAM)
    assert read is not None and np.array_equal(read.w, solution.w) and read.test_correct == solution.test_correct


def test_an_entry_that_is_a_link_or_a_folder_is_not_read(entry, tmp_path):
    store = default_store()
    store.folder.mkdir(parents=True)
    good = tmp_path / "good.npz"
    good.write_bytes(entry)
    store._file(TASK, PENALTY, LAM).symlink_to(good)
    assert store.load(TASK, PENALTY, LAM) is None
    store._file(TASK, PENALTY, 1e-3).mkdir()
    assert store.load(TASK, PENALTY, 1e-3) is None


def test_a_header_claiming_a_huge_array_costs_no_memory(entry, solution):
    raw = _changed(entry, w=_npy(solution.w, shape=(10**12,)))
    tracemalloc.start()
    try:
        assert PathStore(".").parse(raw, TASK, PENALTY, LAM) is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * path_store.ENTRY_MAX_BYTES


FUZZ = int(os.environ.get("DIGITLAB_FUZZ", "0"))  # as in test_idx_fuzz: N fresh examples, else a fixed set
FUZZ_SETTINGS = {"max_examples": FUZZ or 400, "derandomize": not FUZZ, "deadline": None}


@settings(**FUZZ_SETTINGS, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_arbitrary_bytes_in_place_of_an_entry_are_absent_or_a_sound_solution(data, request):
    """Random bytes, or a good entry with random bytes written over a random stretch: never an exception."""
    entry = request.getfixturevalue("entry")
    if data.draw(st.booleans(), label="from the good entry"):
        start = data.draw(st.integers(0, len(entry) - 1), label="start")
        patch = data.draw(st.binary(min_size=1, max_size=64), label="patch")
        raw = entry[:start] + patch + entry[start + len(patch) :]
    else:
        raw = data.draw(st.binary(max_size=2048), label="bytes")
    read = PathStore(".").parse(raw, TASK, PENALTY, LAM)
    if read is not None:
        assert read.w.shape == (785,) and np.all(np.isfinite(read.w))
        assert 0 <= read.test_acc <= 1 and read.test_correct <= read.test_total


# -- writing ------------------------------------------------------------------------------------------


def test_a_save_that_fails_on_a_full_disk_removes_its_temporary_file(monkeypatch, solution):
    store = default_store()

    def full_disk(file, **arrays):
        file.write(b"PK\3\4 half an archive")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(path_store.np, "savez", full_disk)
    store.save(solution)  # no exception
    assert [p.name for p in store.folder.iterdir()] == [MARKER]
    monkeypatch.undo()
    answer = PathCache(store=store).solve(TASK, PENALTY, 1e-1)  # the explorer's path: the answer all the same
    assert answer.lam == 1e-1


def test_the_explorer_keeps_working_when_the_cache_folder_cannot_be_made(monkeypatch, tmp_path):
    from digitlab.explorer import Explorer

    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("DIGITLAB_CACHE", str(blocker / "cache"))  # mkdir under a file: fails
    explorer = Explorer(ahead=False, shipped=False)
    try:
        solved = explorer.cache.solve(TASK, "l2", 1e-2)
        assert solved.test_total > 0 and not (blocker / "cache").exists()
    finally:
        explorer.close()


def test_a_save_never_overwrites_a_foreign_marker(solution):
    store = default_store()
    store.folder.mkdir(parents=True)
    (store.folder / MARKER).write_text("someone else's tag")
    store.save(solution)
    assert (store.folder / MARKER).read_text() == "someone else's tag"
    assert store.load(TASK, PENALTY, LAM) is not None


# -- the shipped path ---------------------------------------------------------------------------------


def test_the_shipped_file_pin_is_current():
    from digitlab.explorer.shipped import FILE, SHA256

    assert hashlib.sha256(FILE.read_bytes()).hexdigest() == SHA256, (
        f"{FILE.name} changed: put its SHA-256 in digitlab/explorer/shipped.py (SHA256) once it is checked"
    )


def test_a_shipped_file_changed_away_from_the_checked_position_is_refused(tmp_path):
    from digitlab.explorer.shipped import FILE, RECOMPUTED_POSITION, load

    with np.load(FILE, allow_pickle=False) as saved:
        arrays = dict(saved)
    position = (RECOMPUTED_POSITION + 7) % arrays["l2_w"].shape[0]
    arrays["l2_w"] = arrays["l2_w"].copy()
    arrays["l2_w"][position, 300, 4] += 5.0  # a weight no recomputation at load looks at
    changed = tmp_path / "changed.npz"
    np.savez_compressed(changed, **arrays)
    assert load(changed, sha256=None) is not None  # only the pin sees it ...
    assert load(changed) is None  # ... and the pin refuses it
