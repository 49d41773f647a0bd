"""Run the package tests on the oldest Python promised, at the oldest versions declared, and on the newest Python.

    python3 tools/test_versions.py                 # both runs
    python3 tools/test_versions.py --only lowest   # one of them; extra arguments after -- go to pytest

``pyproject.toml`` promises ``requires-python >= 3.10`` and lower bounds for every dependency; this checks
both ends of that promise:

* ``lowest``: the oldest Python promised (read from ``requires-python``), with every direct dependency at
  the lowest version its bound allows (``uv pip install --resolution lowest-direct``);
* ``newest``: the newest Python this machine has (pyenv's versions, or ``python3.N`` on the PATH), with the
  newest versions.

Each run gets its own virtual environment under ``build/test-versions/`` (reused while ``pyproject.toml`` is
unchanged), installs digitlab editable with its ``test`` extra, whatever the dependency lists hold, and runs
``pytest tests`` on every core (pytest-xdist, as ``tasks.py test`` does; ``-- -n 0`` for one process) without the
notebooks, the coursework's autograding, the browser tests, the Binder rehearsal and the long numerical
reproductions marked ``slow`` (``tasks.py test`` runs those, once). ``uv`` is the one ``tasks.py`` put into
``.venv``, or else is installed from PyPI into ``build/test-versions/uv``.
``.ci/run`` calls this after the README's test command.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "test-versions"
NEWEST_KNOWN = (3, 13)  # the newest Python this project has been tried on


def requires_python() -> tuple[int, int]:
    """The oldest Python ``pyproject.toml`` promises (``requires-python = ">=3.N"``)."""
    text = (ROOT / "pyproject.toml").read_text()
    match = re.search(r'^requires-python\s*=\s*">=\s*(\d+)\.(\d+)', text, re.MULTILINE)
    if not match:
        sys.exit('tools/test_versions.py: no requires-python = ">=3.N" in pyproject.toml')
    return int(match.group(1)), int(match.group(2))


def pythons() -> dict[tuple[int, int], Path]:
    """Every CPython 3 this machine has: pyenv's versions, then ``python3.N`` on the PATH."""
    found: dict[tuple[int, int], Path] = {}
    roots = []
    if shutil.which("pyenv"):
        done = subprocess.run(["pyenv", "root"], capture_output=True, text=True)
        if done.returncode == 0:
            roots.append(Path(done.stdout.strip()) / "versions")
    roots.append(Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions")
    for versions in roots:
        if not versions.is_dir():
            continue
        for folder in sorted(versions.iterdir(), key=lambda p: [int(x) for x in re.findall(r"\d+", p.name)]):
            match = re.fullmatch(r"3\.(\d+)\.(\d+)", folder.name)
            python = folder / "bin" / "python3"
            if match and python.exists():
                found[(3, int(match.group(1)))] = python  # the highest patch release wins
    for minor in range(8, 20):
        path = shutil.which(f"python3.{minor}")
        if path and (3, minor) not in found:
            found[(3, minor)] = Path(path)
    return found


def uv() -> Path:
    """``uv``: the one ``tasks.py`` put into .venv, else one installed from PyPI into its own environment."""
    ours, home = ROOT / ".venv" / "bin" / "uv", WORK / "uv"
    if ours.exists():
        return ours
    binary = home / "bin" / "uv"
    if not binary.exists():
        print(f"installing uv into {home}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(home)
        subprocess.run([home / "bin" / "python", "-m", "pip", "install", "--quiet", "uv"], check=True)
    return binary


def prepare(name: str, python: Path, lowest: bool) -> Path:
    """A virtual environment with digitlab[test] installed, remade when pyproject.toml or the Python changed."""
    env = WORK / name
    stamp = env / ".digitlab-installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + str(python).encode()).hexdigest()
    if stamp.is_file() and stamp.read_text() == wanted:
        return env
    print(f"[{name}] creating {env} with {python}", flush=True)
    tool = uv()
    subprocess.run([tool, "venv", "--quiet", "--python", python, env], check=True)
    install = [tool, "pip", "install", "--quiet", "--python", env / "bin" / "python"]
    if lowest:
        install += ["--resolution", "lowest-direct"]
    subprocess.run([*install, "--editable", f"{ROOT}[test]"], check=True, cwd=ROOT)
    stamp.write_text(wanted)
    return env


def excluded() -> list[str]:
    """Test files left to ``tasks.py test``: what executes the notebooks (nbval's own tests and the coursework's
    autograding, which runs each teaching notebook once per scripted submission), whatever drives a browser, and
    the Binder rehearsal (it builds its own environment on the Python binder/environment.yml pins, whichever
    Python runs the tests, so a second run would repeat the first)."""
    files = [ROOT / "tests" / name for name in ("test_notebooks.py", "test_coursework.py", "test_binder.py")]
    in_browser = re.compile(r"requires_browser|browser_test")
    files += [p for p in sorted((ROOT / "tests").rglob("test_*.py")) if in_browser.search(p.read_text())]
    return [f"--ignore={p.relative_to(ROOT)}" for p in files if p.exists()]


def run(name: str, python: Path, lowest: bool, extra: list[str]) -> int:
    env = prepare(name, python, lowest)
    freeze = subprocess.run(
        [uv(), "pip", "freeze", "--python", env / "bin" / "python"], capture_output=True, text=True, check=True
    ).stdout
    keys = ("numpy", "scipy", "matplotlib", "scikit-learn", "threadpoolctl", "zlib-ng", "hypothesis", "pytest")
    shown = [line for line in freeze.splitlines() if line.split("==")[0].lower() in keys]
    version = subprocess.run([env / "bin" / "python", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"[{name}] {version}: {', '.join(shown)}", flush=True)
    command = [env / "bin" / "python", "-m", "pytest", "tests", "-o", "addopts=", "-p", "no:cacheprovider"]
    workers = [] if any(a.startswith(("-n", "--numprocesses")) for a in extra) else ["-n", "auto", "--dist", "loadfile"]
    command += [*excluded(), "-q", "-m", "not slow", *workers, *extra]
    start = time.monotonic()
    code = subprocess.call(command, cwd=ROOT)
    print(f"[{name}] pytest exited {code} after {time.monotonic() - start:.0f} s", flush=True)
    return code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("lowest", "newest"), help="one run instead of both")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = parser.parse_args()
    found = pythons()
    oldest = requires_python()
    newest = max(found, default=None)
    runs = []
    if args.only in (None, "lowest"):
        if oldest not in found:
            print(f"no Python {oldest[0]}.{oldest[1]} on this machine (pyenv install {oldest[0]}.{oldest[1]})")
            return 1
        runs.append((f"python{oldest[0]}.{oldest[1]}-lowest", found[oldest], True))
    if args.only in (None, "newest"):
        if newest is None or newest <= oldest:
            print("no Python newer than the oldest promised on this machine")
            return 1
        if newest > NEWEST_KNOWN:
            print(f"note: Python {newest[0]}.{newest[1]} is newer than any this project was tried on", flush=True)
        runs.append((f"python{newest[0]}.{newest[1]}-newest", found[newest], False))
    codes = {name: run(name, python, lowest, args.pytest_args) for name, python, lowest in runs}
    for name, code in codes.items():
        print(f"{name}: {'passed' if code == 0 else f'FAILED (pytest exit {code})'}")
    return 0 if all(code == 0 for code in codes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
