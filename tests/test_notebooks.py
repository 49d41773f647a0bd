"""The committed notebooks are clean, executed and navigable (nbval runs them; this checks what is stored)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_there_are_six_numbered_notebooks():
    assert [p.name[:2] for p in NOTEBOOKS] == ["00", "01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_notebook_is_executed_clean_and_small(path):
    text = path.read_text()
    nb = json.loads(text)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "widgets" not in nb["metadata"], "widget state is stored: clear it"
    assert path.stat().st_size < 1_500_000
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] is not None for c in code), "not executed top to bottom"
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1))
    for cell in code:
        for output in cell["outputs"]:
            assert output["output_type"] != "error", f"{path.name}: stored error output"
            assert output.get("name") != "stderr", f"{path.name}: stored stderr output"
            if output["output_type"] == "execute_result":
                assert "<Figure size" not in json.dumps(output["data"].get("text/plain", "")), "figure repr"
    for forbidden in ("/work/", "/root/", "/home/", "/tmp/", " at 0x"):
        assert forbidden not in text, f"{path.name} contains {forbidden!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_and_closes_the_house_way(path):
    nb = json.loads(path.read_text())
    sources = ["".join(c["source"]) for c in nb["cells"]]
    assert sources[0].startswith("# ")
    if path.name.startswith("00"):
        return
    assert "In this notebook you will:" in sources[0] and "Prerequisites" in sources[0]
    assert "SEED = 0" in sources[1] and "rng = np.random.default_rng(SEED)" in sources[1]
    assert sources[-4].startswith("## Summary") and sources[-3].startswith("## Exercises")
    assert sources[-2].startswith("**Next:**")


def test_navigation_and_readme_table_are_up_to_date():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "navigation.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + "\nrun: python tools/navigation.py"


def test_outputs_are_stripped_of_metadata_noise():
    result = subprocess.run(
        [sys.executable, "-m", "nbstripout", "--verify", "--keep-output", "--keep-count", *map(str, NOTEBOOKS)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
