"""The two commands: set up, then open the notebooks or run every test.

    python3 tasks.py lab     # JupyterLab on the notebooks
    python3 tasks.py test    # the whole test suite: package, notebooks (nbval), browser, lint

Both use one virtual environment, .venv (Python 3.10 or newer), with digitlab installed into it,
editable. `lab` installs what the notebooks need (the `notebooks` extra); `test` adds the `test` extra,
which holds the notebooks' set too, to the same environment. Each set is installed again only when
pyproject.toml changed since it was last installed; nothing is ever removed. The installer is uv (put into
.venv by pip first; seconds where pip takes minutes), or pip when uv cannot be had or fails. uv reads its own
settings, not pip's: where packages must come from a mirror, set UV_INDEX_URL beside PIP_INDEX_URL. Extra
arguments go to JupyterLab or pytest; `test` runs pytest on every core unless they say `-n`.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PYPROJECT = ROOT / "pyproject.toml"
VENV = ROOT / ".venv"
STAMP = VENV / ".digitlab-installed"  # {extra: SHA-256 of the pyproject.toml it was installed from}

#: The extra each command installs, and the sets that extra brings (`test` includes `notebooks`).
EXTRAS = {"lab": "notebooks", "test": "test"}
SETS = {"notebooks": ("notebooks",), "test": ("notebooks", "test")}
#: The suite on every core (pytest-xdist), a test file's tests kept together on one worker (a notebook's cells run
#: in order in one kernel); ``-n 0`` among the extra arguments runs it in one process. The slowest tests are listed
#: at the end, so a contributor sees where the suite's time goes.
PARALLEL = ["-n", "auto", "--dist", "loadfile"]
SLOWEST = ["--durations=15"]


def bin_dir() -> Path:
    return VENV / ("Scripts" if os.name == "nt" else "bin")


def installed() -> dict[str, str]:
    """The sets installed in .venv, each with the pyproject.toml hash it was installed from."""
    try:
        stamp = json.loads(STAMP.read_text())
    except (OSError, ValueError):  # no environment yet, or a stamp from before the sets were split
        return {}
    return stamp if isinstance(stamp, dict) else {}


def setup(extra: str) -> None:
    """Make sure .venv holds digitlab with ``extra``, installing only what pyproject.toml changes call for."""
    if sys.version_info < (3, 10):  # noqa: UP036 - tasks.py is run by whatever python3 the machine has
        sys.exit(f"digitlab needs Python 3.10 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256(PYPROJECT.read_bytes()).hexdigest()
    done = installed()
    if all(done.get(s) == wanted for s in SETS[extra]):
        return
    python = bin_dir() / "python"
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    if not python.exists():
        print(f"creating the virtual environment {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
        done = {}
    print(f"installing digitlab[{extra}] into {VENV}", flush=True)
    uv = bin_dir() / ("uv.exe" if os.name == "nt" else "uv")
    if not uv.exists():
        subprocess.run([*pip, "uv"], check=False)
    # compiled at install, as pip does: where PYTHONDONTWRITEBYTECODE is set, every process would compile again
    # what it imports (a kernel, nbgrader, JupyterLab: twice the start-up time)
    with_uv = [str(uv), "pip", "install", "--quiet", "--compile-bytecode", "--python", str(python)]
    if not uv.exists() or _failed([*with_uv, "--editable", f"{ROOT}[{extra}]"]):
        print("installing with pip instead of uv (slower)", flush=True)
        subprocess.run([*pip, "--upgrade", "pip"], check=True)  # today's pip resolves faster than the bundled one
        subprocess.run([*pip, "--editable", f"{ROOT}[{extra}]"], check=True)
    STAMP.write_text(json.dumps({**done, **dict.fromkeys(SETS[extra], wanted)}, sort_keys=True))


def _failed(command: list[str]) -> bool:
    try:
        return subprocess.run(command).returncode != 0
    except OSError:  # there, but not a program this machine runs
        return True


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in EXTRAS:
        print(__doc__)
        return 2
    command, extra = sys.argv[1], sys.argv[2:]
    setup(EXTRAS[command])
    if command == "lab":
        root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        return subprocess.call([str(bin_dir() / "jupyter"), "lab", *root, "notebooks/00_index.ipynb", *extra], cwd=ROOT)
    workers = [] if any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in extra) else PARALLEL
    return subprocess.call([str(bin_dir() / "python"), "-m", "pytest", *workers, *SLOWEST, *extra], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
