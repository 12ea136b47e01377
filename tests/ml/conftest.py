"""Shared fixtures for the ml tests."""

from __future__ import annotations

import pytest

from openlookout.ml.api import LabeledImage

from .synthetic import labeled


@pytest.fixture(scope="session")
def synthetic_split() -> tuple[list[LabeledImage], list[LabeledImage]]:
    train = [labeled(i, False) for i in range(10)] + [labeled(100 + i, True) for i in range(5)]
    test = [labeled(200 + i, False) for i in range(4)] + [labeled(300 + i, True) for i in range(4)]
    return train, test
