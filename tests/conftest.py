"""Session fixtures: one real Azurite for the whole run, and one default emulator instance over real HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from devstack.azurite import AzuriteEndpoints, running_azurite
from tests.support.emulator import RunningEmulator, serve_emulator
from tests.support.storage import TestStorage


@pytest.fixture(scope="session")
def azurite() -> Iterator[AzuriteEndpoints]:
    with running_azurite() as endpoints:
        os.environ.setdefault("AZURITE_BLOB_URL", endpoints.blob_url)
        yield endpoints


@pytest.fixture(scope="session")
def storage(azurite: AzuriteEndpoints) -> TestStorage:
    return TestStorage(azurite)


@pytest.fixture(scope="session")
def emulator(azurite: AzuriteEndpoints) -> Iterator[RunningEmulator]:
    """The default emulator: pseudo engine, 4 workers, no faults, with a storage identity for plain URLs."""
    with serve_emulator(workers=4, storage_connection_string=azurite.connection_string) as running:
        yield running
