"""What the Binder tests share: the conda environment files read as conda reads them, and the launch links.

``read_environment`` parses one with PyYAML and keeps each dependency's trailing comment (YAML drops
comments; the house rule is one per dependency, saying which notebook needs it). ``pip_requirements``
turns its conda specs into pip requirements, so that a plain virtual environment can stand in for the
conda environment Binder builds: conda-forge names these packages as PyPI does, and conda's ``name=1.2``
(any 1.2.x) is pip's ``name==1.2.*``. ``launch_links`` finds the README's mybinder.org links and the paths
they open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
_LINK = re.compile(r"https://mybinder\.org/v2/gh/([^/\s)]+/[^/\s)]+)/HEAD\?(labpath|urlpath)=([^)\s]+)")
_SPEC = re.compile(r"\s*([A-Za-z0-9_.-]+)\s*(.*?)\s*")
_LOCAL = re.compile(r"(-e|--editable|-r|--requirement|\.|/|file:|git\+)")


@dataclass
class Environment:
    """One environment file: its pinned Python, its conda specs and its pip section."""

    path: Path
    python: str | None  # the conda spec's version, e.g. "3.11", or None when Python is not pinned
    conda: list[str]  # conda specs other than python and pip
    pip: list[str]  # the entries of the pip: section, as written
    has_pip: bool  # whether pip itself is a dependency (a pip: section needs it)
    comments: dict[str, str] = field(default_factory=dict)  # spec -> its trailing comment

    def local_requirements(self) -> list[str]:
        """pip entries that need the repository's files (``-e .``, paths, ``-r file``)."""
        return [entry for entry in self.pip if _LOCAL.match(entry)]


def read_environment(path: Path) -> Environment:
    data = yaml.safe_load(path.read_text())
    python, conda, pip, has_pip = None, [], [], False
    for dependency in data["dependencies"]:
        if isinstance(dependency, dict):
            pip += dependency["pip"]
        elif dependency == "pip":
            has_pip = True
        elif re.fullmatch(r"python\s*=.*", dependency):
            python = dependency.split("=", 1)[1].strip("= ")
        else:
            conda.append(dependency)
    comments = {}
    for line in path.read_text().splitlines():
        match = re.fullmatch(r"\s+- ([^#]+?)\s*#\s*(.*)", line)
        if match:
            comments[match.group(1)] = match.group(2)
    return Environment(path, python, conda, pip, has_pip, comments)


def requirement(text: str) -> tuple[str, str]:
    """``"NumPy >=1.24"`` -> ``("numpy", ">=1.24")``: the normalised name and the bound, spaces removed."""
    name, bound = _SPEC.fullmatch(text).groups()
    return re.sub(r"[-_.]+", "-", name).lower(), bound.replace(" ", "")


def conda_to_pip(spec: str) -> str:
    """One conda spec as a pip requirement: ``numpy>=1.24`` stays, ``numpy=1.26`` becomes ``numpy==1.26.*``."""
    name, bound = _SPEC.fullmatch(spec).groups()
    if re.fullmatch(r"=[^=].*", bound):
        bound = "=" + bound + ("" if bound.endswith("*") else ".*")
    return name + bound


def packages(environment: Environment) -> list[str]:
    """The packages the file installs besides Python and pip, as pip requirements; local entries left out."""
    local = environment.local_requirements()
    return [conda_to_pip(spec) for spec in environment.conda] + [e for e in environment.pip if e not in local]


def pip_requirements(environment: Environment) -> list[str]:
    """What installing the file asks pip for: the conda specs translated, then the pip section as written."""
    return [conda_to_pip(spec) for spec in environment.conda] + list(environment.pip)


@dataclass
class LaunchLink:
    repository: str  # owner/name on GitHub
    kind: str  # "labpath" (JupyterLab on a file) or "urlpath" (a server path, here Voila's)
    target: str  # the parameter's value, decoded: "notebooks/00_index.ipynb", "voila/render/notebooks/..."

    @property
    def file(self) -> str:
        """The repository file the link opens."""
        return self.target.removeprefix("voila/render/") if self.kind == "urlpath" else self.target


def launch_links(readme: Path = ROOT / "README.md") -> list[LaunchLink]:
    return [LaunchLink(r, kind, target.replace("%2F", "/")) for r, kind, target in _LINK.findall(readme.read_text())]
