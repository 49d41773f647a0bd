"""Execute the notebooks top to bottom against the installed digitlab and store them clean.

    python tools/run_notebooks.py [notebooks/NN_name.ipynb ...]   # default: all, in order

Regenerates the navigation first, executes each notebook in place (no widget state stored), strips
metadata noise with nbstripout (outputs and counts kept) and prints each notebook's run time.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(paths: list[str]) -> int:
    notebooks = [Path(p).resolve() for p in paths] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    subprocess.run([sys.executable, str(ROOT / "tools" / "navigation.py")], check=True)
    for path in notebooks:
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "jupyter",
                "nbconvert",
                "--to",
                "notebook",
                "--execute",
                "--inplace",
                "--ExecutePreprocessor.store_widget_state=False",
                "--ExecutePreprocessor.timeout=600",
                "--log-level=WARN",
                str(path),
            ],
            check=True,
            cwd=path.parent,
        )
        subprocess.run([sys.executable, "-m", "nbstripout", "--keep-output", "--keep-count", str(path)], check=True)
        print(f"{path.name}: {time.perf_counter() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
