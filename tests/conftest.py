"""Shared fixtures: the report's splits, loaded once per test session; one BLAS thread per worker."""

import os

import matplotlib
import pytest

matplotlib.use("Agg")

import digitlab as dl  # noqa: E402
from digitlab.threads import ONE_THREAD_ENV, blas_libraries  # noqa: E402

if os.environ.get("PYTEST_XDIST_WORKER"):
    # one worker per core: BLAS pools of several threads in each worker, and in the kernels and children it
    # starts (which inherit the environment), fight one another; a check of 1 s took 30 s so
    os.environ.update(ONE_THREAD_ENV)
    for library in blas_libraries():
        library.set_num_threads(1)


@pytest.fixture(scope="session")
def mnist():
    return dl.load_mnist()


@pytest.fixture(scope="session")
def splits(mnist):
    return dl.seed_splits(mnist)


@pytest.fixture
def browser():
    """Headless Debian Chromium through Playwright (modules using it set ``pytestmark = requires_browser``)."""
    from browser_support import ARGS, CHROMIUM
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()
