"""The two commands: set everything up, then open the notebooks or run every test.

    python3 tasks.py lab     # JupyterLab on the notebooks
    python3 tasks.py test    # the whole test suite: package, notebooks (nbval), browser, lint

Both create a virtual environment in .venv (Python 3.10 or newer) and install
digitlab into it, editable, with its test extra; a second run only reinstalls
when pyproject.toml changed. Extra arguments go to JupyterLab or pytest.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".digitlab-installed"


def setup() -> None:
    if sys.version_info < (3, 10):  # noqa: UP036 - tasks.py is run by whatever python3 the machine has
        sys.exit(f"digitlab needs Python 3.10 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.is_file() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"creating the virtual environment {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    subprocess.run([*pip, "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "--quiet", "--editable", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("lab", "test"):
        print(__doc__)
        return 2
    setup()
    command, extra = sys.argv[1], sys.argv[2:]
    if command == "lab":
        root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        return subprocess.call([str(BIN / "jupyter"), "lab", *root, "notebooks/00_index.ipynb", *extra], cwd=ROOT)
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *extra], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
