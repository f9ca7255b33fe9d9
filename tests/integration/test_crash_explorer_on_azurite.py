"""`make stress`: the crash explorer's scenarios with the state in real Azurite Table storage instead of the memory
store, at a sample of crash points (every 5th call, before and after it): the proof does not rest on the memory
store's fidelity alone."""

from __future__ import annotations

import logging
import uuid

import pytest
from azure.data.tables import TableServiceClient

from shared.table_store import TableStateStore
from tests.support.explorer import explore
from tests.unit.test_crash_explorer import SCENARIOS, SETTINGS, failures

SAMPLE_EVERY = 5


@pytest.mark.stress
@pytest.mark.parametrize("name", SCENARIOS)
def test_crash_points_with_the_state_in_azurite(azurite, name):
    service = TableServiceClient.from_connection_string(azurite.connection_string)
    tables: list[str] = []

    def fresh_table() -> TableStateStore:
        tables.append(f"explorer{uuid.uuid4().hex[:12]}")
        store = TableStateStore(service.get_table_client(tables[-1]))
        store.ensure()
        return store

    logging.disable(logging.CRITICAL)
    try:
        results = list(explore(SCENARIOS[name], settings=SETTINGS, store=fresh_table, every=SAMPLE_EVERY))
    finally:
        logging.disable(logging.NOTSET)
        for table in tables:
            service.delete_table(table)
    assert failures(results) == []
    print(f"\n{name} on Azurite: {len(results) - 1} crash runs, 0 lost")
