"""TableStateStore's own behaviour beyond the shared contract (tests/integration/test_state_store.py): a lost answer
is asked again. The TableClient is a stub here: a dropped connection cannot be produced on demand with Azurite."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from azure.core.exceptions import ServiceResponseError

from shared.errors import StoreUnavailable
from shared.state_store import Op, Operation
from shared.table_store import TableStateStore


@dataclass
class FlakyTable:
    failures: int
    calls: list[str] = field(default_factory=list)

    def create_entity(self, entity):
        self.calls.append("create")
        if len(self.calls) <= self.failures:
            raise ServiceResponseError("Connection aborted: the answer was lost")
        return {"etag": 'W/"1"'}

    def submit_transaction(self, items):
        self.calls.append("transaction")
        if len(self.calls) <= self.failures:
            raise ServiceResponseError("Connection aborted: the answer was lost")
        return [{"etag": 'W/"2"'} for _ in items]


def insert() -> Operation:
    return Operation(Op.INSERT, {"PartitionKey": "p", "RowKey": "k"})


def test_an_insert_whose_answer_was_lost_is_sent_again():
    table = FlakyTable(failures=2)
    assert TableStateStore(table).write(insert()) == 'W/"1"'
    assert table.calls == ["create"] * 3


def test_a_transaction_whose_answer_was_lost_is_sent_again():
    table = FlakyTable(failures=1)
    assert TableStateStore(table).transact([insert()]) == ['W/"2"']
    assert table.calls == ["transaction"] * 2


def test_a_connection_that_keeps_failing_is_the_stores_unavailability():
    table = FlakyTable(failures=10)
    with pytest.raises(StoreUnavailable, match="ServiceResponseError"):
        TableStateStore(table).write(insert())
    assert len(table.calls) == 3
