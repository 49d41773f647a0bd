"""Binder's build, rehearsed without conda or Docker in repo2docker's order: the environment file, then the repo.

repo2docker (what mybinder.org runs) installs ``binder/environment.yml`` before it copies the repository in,
then runs ``./binder/postBuild`` from the repository's root. Here the same happens with PyPI's packages: the
file's packages (conda specs read as pip requirements) go into a fresh virtual environment from a folder
holding nothing but that file (by ``uv pip``, or by pip where uv is missing or fails); postBuild then runs in
a copy of the repository with that environment first on PATH; then ``import digitlab`` works from elsewhere,
JupyterLab serves the files the README's launch links open and Voila's routes beside them, and one notebook
executes.

Not covered: conda's solver and conda-forge's builds (PyPI's wheels stand in), the Python version when the
machine lacks the one the file pins, the Docker image, and mybinder.org itself. The packages come from
the package registry through the installer's cache; without the registry the tests skip and say so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from binder_support import launch_links, pip_requirements, read_environment
from browser_support import free_port, serve, stop

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENT_FILE = ROOT / "binder" / "environment.yml"
NOTEBOOK = "notebooks/01_gradient_derivation.ipynb"  # a fast one that loads MNIST and draws figures
NOT_COPIED = (".venv", ".git", "__pycache__", ".ipynb_checkpoints", "*.egg-info", "build", ".*_cache", "figures")


def registry_problem() -> str | None:
    """Why pip's package index cannot be reached, or None when it answers."""
    index = os.environ.get("PIP_INDEX_URL")
    if not index:
        config = subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", "global.index-url"], capture_output=True, text=True
        )
        index = config.stdout.strip() if config.returncode == 0 else "https://pypi.org/simple/"
    try:
        urllib.request.urlopen(index.rstrip("/") + "/pip/", timeout=15).close()
    except OSError as exc:
        return f"the package registry {index} is unreachable ({exc}): the Binder rehearsal installs from it"
    return None


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def clean_environment(bin_dir: Path, home: Path) -> dict[str, str]:
    """This process's environment with the built one first on PATH and nothing of the outer .venv or Jupyter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "PYTHON", "VIRTUAL_ENV", "IPYTHON"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    for variable, folder in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"), ("IPYTHONDIR", "ipy")):
        env[variable] = str(home / folder)  # no kernel spec or config of this machine's user leaks in
    env["JUPYTER_RUNTIME_DIR"] = str(home / "runtime")
    env["MPLCONFIGDIR"] = str(home / "matplotlib")
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    """Step 1: a fresh environment holding binder/environment.yml's packages, installed without the repository."""
    problem = registry_problem()
    if problem:
        pytest.skip(problem)
    base = tmp_path_factory.mktemp("binder")
    build = base / "build"  # repo2docker's first stage sees this file and nothing else
    build.mkdir()
    shutil.copy(ENVIRONMENT_FILE, build / "environment.yml")
    spec = read_environment(build / "environment.yml")
    interpreter = shutil.which(f"python{spec.python}") or sys.executable
    run([interpreter, "-m", "venv", str(base / "env")])
    bin_dir = base / "env" / ("Scripts" if os.name == "nt" else "bin")
    env = clean_environment(bin_dir, base / "home")
    requirements = pip_requirements(spec)
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))  # the test set brings it: a tenth of pip's time
    with_uv = [uv, "pip", "install", "--quiet", "--python", str(bin_dir / "python"), *requirements] if uv else None
    if not with_uv or subprocess.run(with_uv, cwd=build, env=env, capture_output=True).returncode != 0:
        pip = [str(bin_dir / "python"), "-m", "pip", "install", "--disable-pip-version-check", "--no-compile"]
        run([*pip, *requirements], cwd=build, env=env)  # uv missing, or failing where only pip is configured
    return SimpleNamespace(base=base, bin=bin_dir, python=str(bin_dir / "python"), env=env, pinned=spec.python)


@pytest.fixture(scope="module")
def built(environment):
    """Step 2: the repository copied in, then ./binder/postBuild run from its root in that environment."""
    repo = environment.base / "repo"
    shutil.copytree(ROOT, repo, ignore=shutil.ignore_patterns(*NOT_COPIED))
    run(["./binder/postBuild"], cwd=repo, env=environment.env)
    return SimpleNamespace(**vars(environment), repo=repo)


def test_environment_file_alone_installs_consistent_packages_but_not_digitlab(environment):
    run([environment.python, "-m", "pip", "check"], env=environment.env)
    found = subprocess.run(
        [environment.python, "-c", "import digitlab"], cwd=environment.base, env=environment.env, capture_output=True
    )
    assert found.returncode != 0, "digitlab came with the environment file: it must come from postBuild"
    version = run([environment.python, "-c", "import sys; print(sys.version)"], env=environment.env).stdout
    print(f"binder/environment.yml pins Python {environment.pinned}; the emulation ran {version.split()[0]}")


def test_postbuild_installs_digitlab_from_the_repository(built):
    code = "import digitlab, digitlab.data as d; print(digitlab.__file__); print(d.data_root())"
    package, data = run([built.python, "-c", code], cwd=built.base, env=built.env).stdout.split()
    assert Path(package).is_relative_to(built.repo / "digitlab"), package
    assert Path(data) == built.repo / "data"  # the notebooks load MNIST from the repository's data/


def test_jupyter_serves_what_the_launch_links_open(built):
    """The built environment's JupyterLab, rooted at the repository as on Binder: the files and Voila's routes."""
    port, token = free_port(), "binder-test"
    root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    command = [built.python, "-m", "jupyter", "lab", "--no-browser", *root, "--ip=127.0.0.1", f"--port={port}"]
    base = f"http://127.0.0.1:{port}"
    server = serve([*command, f"--IdentityProvider.token={token}"], f"{base}/api/status?token={token}", built.repo)
    try:
        paths = ["lab", "voila/tree/notebooks"] + [f"api/contents/{link.file}" for link in launch_links()]
        for path in paths:  # labpath=F opens lab/tree/F; urlpath=voila/render/F has Voila run F
            with urllib.request.urlopen(f"{base}/{path}?token={token}", timeout=30) as response:
                assert response.status == 200, path
    finally:
        stop(server)


def test_a_notebook_executes_in_the_built_environment(built):
    out = built.base / "executed"
    command = [built.python, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", NOTEBOOK]
    run([*command, "--output-dir", str(out), "--ExecutePreprocessor.timeout=300"], cwd=built.repo, env=built.env)
    executed = json.loads((out / Path(NOTEBOOK).name).read_text())
    code = [cell for cell in executed["cells"] if cell["cell_type"] == "code"]
    assert code and all(cell["execution_count"] for cell in code)
    assert not [o for cell in code for o in cell["outputs"] if o["output_type"] == "error"]
