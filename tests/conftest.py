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
