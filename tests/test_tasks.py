"""tasks.py installs per set: `lab` the notebooks' set, `test` adds the test set, each when needed, by uv or pip."""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def load_tasks():
    spec = importlib.util.spec_from_file_location("tasks_under_test", ROOT / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tasks(tmp_path, monkeypatch):
    """tasks.py with its environment in tmp_path and the installers recorded instead of run.

    ``tasks.uv_works`` (True) and ``tasks.uv_installs`` (True) decide how the recorded uv behaves."""
    module = load_tasks()
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text((ROOT / "pyproject.toml").read_text())
    monkeypatch.setattr(module, "PYPROJECT", pyproject)
    monkeypatch.setattr(module, "VENV", tmp_path / ".venv")
    monkeypatch.setattr(module, "STAMP", tmp_path / ".venv" / ".digitlab-installed")
    module.calls, module.uv_works, module.uv_installs = [], True, True

    def create(self, folder):
        module.calls.append("create")
        python = module.bin_dir() / "python"
        python.parent.mkdir(parents=True)
        python.write_text("")

    def run(command, check=False):
        target = command[-1]  # "uv", "pip" (its upgrade) or ".../digitlab[extra]"
        extra = target.rsplit("[", 1)[1].rstrip("]") if "[" in target else None
        if command[1:4] == ["-m", "pip", "install"]:
            if target == "uv":
                assert not check  # no uv: pip does it all
                if module.uv_installs:
                    (module.bin_dir() / "uv").write_text("")
                module.calls.append("uv")
            else:
                assert check
                module.calls.append(f"pip {extra}" if extra else "pip")
            return SimpleNamespace(returncode=0)
        assert Path(command[0]) == module.bin_dir() / "uv" and command[1:3] == ["pip", "install"] and extra
        assert command[command.index("--python") + 1] == str(module.bin_dir() / "python")  # into .venv
        assert "--compile-bytecode" in command  # as pip does: no process compiles the packages again
        module.calls.append(f"uv {extra}" if module.uv_works else f"uv {extra} failed")
        if module.uv_works is None:
            raise OSError(8, "Exec format error")  # a uv file this machine cannot run
        return SimpleNamespace(returncode=0 if module.uv_works else 2)

    monkeypatch.setattr(module.venv.EnvBuilder, "create", create)
    monkeypatch.setattr(module.subprocess, "run", run)
    return module


def installs(tasks) -> list[str]:
    """What happened since the last look: "create" (a new environment), "uv" (uv put into it), "uv EXTRA" or
    "pip EXTRA" (an extra installed by either), "pip" (pip's upgrade before it installs)."""
    calls, tasks.calls[:] = list(tasks.calls), []
    return calls


def test_lab_installs_the_notebook_set_into_a_new_environment(tasks):
    tasks.setup("notebooks")
    assert installs(tasks) == ["create", "uv", "uv notebooks"]
    tasks.setup("notebooks")
    assert installs(tasks) == []  # nothing changed: nothing to install


def test_pip_installs_when_uv_fails_or_cannot_be_had(tasks):
    tasks.uv_works = False
    tasks.setup("notebooks")
    assert installs(tasks) == ["create", "uv", "uv notebooks failed", "pip", "pip notebooks"]
    assert tasks.installed()  # the set counts as installed
    tasks.uv_works = None
    tasks.STAMP.unlink()
    tasks.setup("notebooks")
    assert installs(tasks) == ["uv notebooks failed", "pip", "pip notebooks"]
    tasks.uv_installs = False
    (tasks.bin_dir() / "uv").unlink()
    tasks.setup("test")
    assert installs(tasks) == ["uv", "pip", "pip test"]


def test_test_after_lab_adds_to_the_same_environment_and_lab_after_test_installs_nothing(tasks):
    tasks.setup("notebooks")
    installs(tasks)
    tasks.setup("test")
    assert installs(tasks) == ["uv test"]  # no new environment: the test set is added
    tasks.setup("notebooks")
    assert installs(tasks) == []  # the test set holds the notebooks' set: nothing to do, nothing removed


def test_a_changed_pyproject_reinstalls_each_set_once_when_it_is_next_asked_for(tasks):
    tasks.setup("test")
    installs(tasks)
    tasks.PYPROJECT.write_text(tasks.PYPROJECT.read_text() + "\n# changed\n")
    tasks.setup("notebooks")
    assert installs(tasks) == ["uv notebooks"]
    tasks.setup("test")
    assert installs(tasks) == ["uv test"]
    tasks.setup("test")
    tasks.setup("notebooks")
    assert installs(tasks) == []


def test_an_environment_from_before_the_split_is_brought_up_to_date(tasks):
    tasks.setup("notebooks")
    installs(tasks)
    tasks.STAMP.write_text("0" * 64)  # the old stamp: one hash, no sets
    tasks.setup("notebooks")
    assert installs(tasks) == ["uv notebooks"]


def test_the_commands_install_the_extras_pyproject_declares(tasks):
    extras = tomllib.loads(tasks.PYPROJECT.read_text())["project"]["optional-dependencies"]
    assert tasks.EXTRAS == {"lab": "notebooks", "test": "test"}
    assert set(tasks.SETS) <= set(extras)
    assert "digitlab[notebooks]" in extras["test"]  # so the test set holds the notebooks' set, as SETS says
