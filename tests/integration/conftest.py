"""Fixtures for tests of the function app on real Azurite and an emulator of each test's own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest

from tests.support.pipeline import Pipeline, running_pipeline


@pytest.fixture
def make_pipeline(azurite, storage, monkeypatch) -> Callable[..., AbstractContextManager[Pipeline]]:
    """`with make_pipeline(settings={...}, emulator_settings={...}) as pipeline:` for tests that need their own."""

    def make(**options) -> AbstractContextManager[Pipeline]:
        return running_pipeline(azurite, storage, monkeypatch, **options)

    return make


@pytest.fixture
def pipeline(make_pipeline) -> Iterator[Pipeline]:
    with make_pipeline() as running:
        yield running
