"""Shared fixtures: the report's splits, loaded once per test session."""

import matplotlib
import pytest

matplotlib.use("Agg")

import digitlab as dl  # noqa: E402


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
