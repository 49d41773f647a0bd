"""The repository keeps itself in order: dependency lists in step, lint clean."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def requirement(text: str) -> tuple[str, str]:
    name, bound = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*(.*?)\s*", text).groups()
    return name.lower().replace("_", "-"), bound


def test_environment_yml_and_pyproject_list_the_same_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    from_pyproject = dict(requirement(r) for r in project["dependencies"])
    from_environment = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        match = re.match(r"\s+- ([^#]+?)\s*(#.*)?$", line)
        if not match or match.group(1) in ("pip", "pip:", "-e .") or match.group(1).startswith("python="):
            continue
        name, bound = requirement(match.group(1))
        assert match.group(2), f"environment.yml: say which notebook needs {name} in a comment"
        from_environment[name] = bound
    assert from_environment == from_pyproject
    assert "prefix:" not in (ROOT / "environment.yml").read_text()


def test_ruff_is_clean_on_code_and_notebooks():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.fail("ruff is not installed: it is in the test extra (pip install -e .[test])")
    result = subprocess.run([ruff, "check", "--no-cache", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
