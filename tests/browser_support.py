"""What every browser test shares: Debian's Chromium through Playwright, and servers on 127.0.0.1.

A test module that drives a page sets ``pytestmark = requires_browser`` and takes the ``browser`` fixture
(``tests/conftest.py``); servers start in their own process group and are stopped by their process id.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

requires_browser = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None, reason="playwright is not installed (test extra)"
    ),
]


def browser_test(test):
    """Mark one test as driving a page: skipped, with the reason, without Chromium or Playwright."""
    for mark in requires_browser:
        test = mark(test)
    return test


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(command: list[str], url: str, cwd: Path):
    """Start a server in its own process group and wait until ``url`` answers."""
    with open(cwd / "server.log", "wb") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {(cwd / 'server.log').read_text()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return process
        except OSError:
            time.sleep(0.5)
    os.killpg(process.pid, signal.SIGTERM)
    raise RuntimeError(f"server did not answer at {url}")


def stop(process) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


KERNEL_IDLE = """() => {
    const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const session = widget && widget.sessionContext && widget.sessionContext.session;
    const kernel = session && session.kernel;
    return kernel && kernel.status === "idle";
}"""


def run_all_cells(page, timeout: float = 120) -> None:
    """Once the open notebook's kernel is idle, run all its cells through JupyterLab's command (no menu clicks)."""
    page.wait_for_function(KERNEL_IDLE, timeout=timeout * 1000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")


@contextlib.contextmanager
def jupyterlab(root_dir: Path, token: str = "digitlab-test") -> Iterator[str]:
    """JupyterLab serving ``root_dir`` on 127.0.0.1; yields its base URL (append ``?token=`` + token)."""
    port = free_port()
    server = serve(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root_dir}",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: commands run without menus or dialogs
        ],
        f"http://127.0.0.1:{port}/api/status?token={token}",
        root_dir,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(server)


@contextlib.contextmanager
def voila(notebook: Path, cwd: Path, *options: str) -> Iterator[str]:
    """Voila serving ``notebook`` on 127.0.0.1 (lecture mode: code hidden); yields the page's URL."""
    port = free_port()
    executable = Path(sys.executable).with_name("voila")
    server = serve(
        [str(executable), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1", *options, str(notebook)],
        f"http://127.0.0.1:{port}/voila/templates/lab/static/voila.js",  # answers without starting a kernel
        cwd,
    )
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop(server)


def notebooks_fully_attached(notebooks, folder: Path, monkeypatch) -> None:
    """Copy ``notebooks`` into ``folder`` (JupyterLab may save what it opens) and switch JupyterLab's windowing
    off there, so every cell is attached to the page (off-screen math typeset, off-screen outputs checked)."""
    for path in notebooks:
        shutil.copy(path, folder / path.name)
    settings = folder / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    monkeypatch.setenv("JUPYTERLAB_SETTINGS_DIR", str(folder / "settings"))
