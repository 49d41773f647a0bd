"""The repository keeps itself in order: one list of dependencies, Binder files that build, lint clean."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from binder_support import launch_links, packages, read_environment, requirement

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
ENVIRONMENT_YML = ROOT / "environment.yml"
BINDER = ROOT / "binder"


def notebook_set() -> dict[str, str]:
    """What `python3 tasks.py lab` installs: digitlab's dependencies and its `notebooks` extra, name -> bound."""
    return dict(requirement(r) for r in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["notebooks"])


def test_the_test_extra_adds_to_the_notebook_set():
    test_extra = PROJECT["optional-dependencies"]["test"]
    assert "digitlab[notebooks]" in test_extra, "the test extra must hold the notebooks' set (digitlab[notebooks])"
    test_only = {requirement(r.split(";")[0])[0] for r in test_extra if not r.startswith("digitlab[")}
    assert not test_only & set(notebook_set()), "a package is in both sets: keep it in one"


@pytest.mark.parametrize("path", [ENVIRONMENT_YML, BINDER / "environment.yml"], ids=lambda p: p.parent.name + "/")
def test_conda_files_list_the_notebook_set_of_pyproject(path):
    environment = read_environment(path)
    listed = dict(requirement(r) for r in packages(environment))
    assert listed == notebook_set(), f"{path}: not the same packages and bounds as pyproject.toml"
    for entry in environment.conda + environment.pip:
        if entry not in environment.local_requirements():
            assert environment.comments.get(entry), f"{path}: say which notebook needs {entry} in a comment"
    assert re.fullmatch(r"3\.\d+", environment.python or ""), f"{path}: pin Python to a minor version (python=3.X)"
    assert environment.has_pip or not environment.pip, f"{path}: a pip: section needs pip among the dependencies"
    assert "prefix:" not in path.read_text()


def test_environment_yml_installs_digitlab_and_binder_installs_it_in_postbuild():
    local, binder = read_environment(ENVIRONMENT_YML), read_environment(BINDER / "environment.yml")
    assert local.local_requirements() == ["-e ."]  # conda runs pip beside the file: `.` is the repository
    assert binder.local_requirements() == [], "repo2docker installs binder/environment.yml before the repository"
    assert binder.python == local.python
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), "binder/postBuild must be executable (git update-index --chmod=+x)"
    lines = post_build.read_text().splitlines()
    assert lines[0].startswith("#!"), "repo2docker runs ./binder/postBuild: it needs a #! line"
    assert "set -euo pipefail" in lines, "without set -e a failing step does not stop the Binder build"
    assert "python -m pip install --no-deps --editable ." in lines


def test_no_other_binder_configuration_competes():
    assert not (ROOT / ".binder").exists(), "repo2docker refuses both binder/ and .binder/"
    assert sorted(p.name for p in BINDER.iterdir()) == ["environment.yml", "postBuild"]


def test_readme_launch_links_open_files_that_exist():
    links = launch_links()
    assert [(link.kind, link.target) for link in links] == [
        ("labpath", "notebooks/00_index.ipynb"),  # JupyterLab on the index
        ("urlpath", "voila/render/notebooks/05_lambda_explorer.ipynb"),  # the explorer in Voila, lecture mode
    ]
    for link in links:
        assert (ROOT / link.file).is_file(), f"the launch link opens {link.file}, which does not exist"
    assert len({link.repository for link in links}) == 1
    if links[0].repository == "OWNER/digitlab":
        readme = (ROOT / "README.md").read_text()
        assert "`OWNER/digitlab` in these two links is a placeholder" in readme, "name the placeholder plainly"


def test_ruff_is_clean_on_code_and_notebooks():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.fail("ruff is not installed: it is in the test extra (pip install -e .[test])")
    result = subprocess.run([ruff, "check", "--no-cache", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
