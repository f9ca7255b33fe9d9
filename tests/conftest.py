"""Session fixtures: one real Azurite for the whole run, and one default emulator instance over real HTTP."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

from devstack.azurite import AzuriteEndpoints, running_azurite
from tests.support.emulator import RunningEmulator, serve_emulator
from tests.support.secret_scan import SecretScanner
from tests.support.storage import TestStorage


@pytest.fixture(scope="session")
def azurite(secret_scanner: SecretScanner) -> Iterator[AzuriteEndpoints]:
    with running_azurite() as endpoints:
        os.environ.setdefault("AZURITE_BLOB_URL", endpoints.blob_url)
        yield endpoints
        secret_scanner.scan_storage(endpoints.connection_string)
        assert not secret_scanner.findings, "secrets leaked:\n" + "\n".join(secret_scanner.findings[:20])


@pytest.fixture(scope="session", autouse=True)
def secret_scanner() -> Iterator[SecretScanner]:
    """Scans every log record of the whole run (app and emulator at INFO and up; the Azure SDK at WARNING)."""
    scanner = SecretScanner()
    root = logging.getLogger()
    levels = (root.level, logging.getLogger("azure").level)
    root.addHandler(scanner)
    root.setLevel(min(root.level or logging.WARNING, logging.INFO))
    logging.getLogger("azure").setLevel(logging.WARNING)
    yield scanner
    root.removeHandler(scanner)
    root.setLevel(levels[0])
    logging.getLogger("azure").setLevel(levels[1])


@pytest.fixture(scope="session")
def storage(azurite: AzuriteEndpoints) -> TestStorage:
    return TestStorage(azurite)


@pytest.fixture(scope="session")
def emulator(azurite: AzuriteEndpoints) -> Iterator[RunningEmulator]:
    """The default emulator: pseudo engine, 4 workers, no faults; it reaches storage through the SAS it is given."""
    with serve_emulator(workers=4) as running:
        yield running
