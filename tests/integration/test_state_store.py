"""One contract, two stores: every case runs on real Azurite (TableStateStore) and on MemoryStateStore, so the memory
store the unit tests and the crash explorer use has the semantics the app meets in production."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from azure.data.tables import TableServiceClient

from shared.errors import EntityChanged, EntityExists, EntityMissing, EntityRefused, TransactionFailed
from shared.memory_store import MemoryStateStore
from shared.state_store import TRANSACTION_LIMIT, Op, Operation, Query, StateStore, Where
from shared.table_store import TableStateStore


@pytest.fixture(params=["azurite", "memory"])
def store(request, azurite) -> Iterator[StateStore]:
    if request.param == "memory":
        yield MemoryStateStore()
        return
    service = TableServiceClient.from_connection_string(azurite.connection_string)
    name = f"contract{uuid.uuid4().hex[:12]}"
    table = TableStateStore(service.get_table_client(name))
    table.ensure()
    table.ensure()  # idempotent
    yield table
    service.delete_table(name)


def entity(key: str, partition: str = "p", **properties) -> dict:
    return {"PartitionKey": partition, "RowKey": key, **properties}


def insert(key: str, partition: str = "p", **properties) -> Operation:
    return Operation(Op.INSERT, entity(key, partition, **properties))


def test_insert_is_once_and_every_write_changes_the_etag(store):
    first = store.write(insert("a", Value="1"))
    with pytest.raises(EntityExists):
        store.write(insert("a", Value="2"))
    read = store.get("p", "a")
    assert (read.entity["Value"], read.etag) == ("1", first)
    second = store.write(Operation(Op.REPLACE, entity("a", Value="3"), first))
    assert second not in (None, first)
    assert store.get("p", "x") is None


def test_a_guarded_write_fails_once_someone_else_wrote(store):
    stale = store.write(insert("a", Value="1"))
    store.write(Operation(Op.MERGE, entity("a", Other="x")))
    for op in (Op.REPLACE, Op.MERGE, Op.DELETE):
        with pytest.raises(EntityChanged):
            store.write(Operation(op, entity("a", Value="2"), stale))
    assert store.get("p", "a").entity["Value"] == "1"


def test_replace_drops_properties_merge_keeps_them_none_is_not_stored(store):
    etag = store.write(insert("a", Keep="k", Drop="d", Empty=None))
    assert "Empty" not in store.get("p", "a").entity
    store.write(Operation(Op.MERGE, entity("a", Added="n", Keep=None)))
    assert {k: v for k, v in store.get("p", "a").entity.items() if k[0].isupper()} == entity(
        "a", Keep="k", Drop="d", Added="n"
    )
    assert etag != store.get("p", "a").etag
    store.write(Operation(Op.REPLACE, entity("a", Keep="k")))
    assert {k for k in store.get("p", "a").entity if k[0].isupper()} == {"PartitionKey", "RowKey", "Keep"}


def test_updates_of_a_missing_entity_fail_upsert_creates_it_delete_twice_is_fine(store):
    for op in (Op.REPLACE, Op.MERGE):
        with pytest.raises(EntityMissing):
            store.write(Operation(op, entity("gone", Value="1")))
    store.write(Operation(Op.UPSERT, entity("new", Value="1")))
    store.write(Operation(Op.UPSERT, entity("new", Other="2")))
    assert (store.get("p", "new").entity["Value"], store.get("p", "new").entity["Other"]) == ("1", "2")
    store.write(Operation(Op.DELETE, entity("new")))
    store.write(Operation(Op.DELETE, entity("new")))
    assert store.get("p", "new") is None


def test_a_transaction_is_all_or_nothing_and_names_the_failed_operation(store):
    store.write(insert("b", Value="old"))
    with pytest.raises(TransactionFailed) as failed:
        store.transact([insert("a"), insert("b"), insert("c")])
    assert failed.value.index == 1
    assert isinstance(failed.value.cause, EntityExists)
    assert [row.entity["RowKey"] for row in store.query(Query("p"))] == ["b"]

    stale = store.get("p", "b").etag
    store.write(Operation(Op.MERGE, entity("b", Value="new")))
    with pytest.raises(TransactionFailed) as failed:
        store.transact([insert("a"), Operation(Op.REPLACE, entity("b", Value="lost"), stale)])
    assert (failed.value.index, type(failed.value.cause)) == (1, EntityChanged)
    with pytest.raises(TransactionFailed) as failed:
        store.transact([Operation(Op.DELETE, entity("b")), Operation(Op.DELETE, entity("never"))])
    assert (failed.value.index, type(failed.value.cause)) == (1, EntityMissing)
    assert [(row.entity["RowKey"], row.entity["Value"]) for row in store.query(Query("p"))] == [("b", "new")]


def test_a_transaction_applies_every_operation_and_returns_their_etags(store):
    store.write(insert("z", Value="1"))
    etag = store.get("p", "z").etag
    results = store.transact(
        [
            *(insert(f"k{index:03}") for index in range(TRANSACTION_LIMIT - 2)),
            Operation(Op.REPLACE, entity("z", Value="2"), etag),
            Operation(Op.UPSERT, entity("u", Value="3")),
        ]
    )
    assert len(results) == TRANSACTION_LIMIT
    assert results[-2] == store.get("p", "z").etag != etag
    assert len(store.query(Query("p"))) == TRANSACTION_LIMIT
    store.transact([Operation(Op.DELETE, entity(f"k{index:03}")) for index in range(TRANSACTION_LIMIT - 2)])
    assert [row.entity["RowKey"] for row in store.query(Query("p"))] == ["u", "z"]


def test_a_transaction_holds_at_most_100_operations_of_one_partition(store):
    with pytest.raises(ValueError, match="100"):
        store.transact([insert(f"k{index}") for index in range(TRANSACTION_LIMIT + 1)])
    with pytest.raises(ValueError, match="partition"):
        store.transact([insert("a", "p"), insert("a", "q")])
    assert store.query(Query("p")) == []


def test_queries_read_one_partition_in_key_order_with_filters(store):
    for key, claim, expires in (("c", "b1", "2026-01-03"), ("a", "b2", "2026-01-01"), ("b", "b1", "2026-01-02")):
        store.write(insert(key, "inbox", ClaimId=claim, ClaimExpires=expires))
    store.write(insert("x", "other", ClaimId="b1"))
    store.write(insert("d", "inbox"))
    assert [row.entity["RowKey"] for row in store.query(Query("inbox"))] == ["a", "b", "c", "d"]
    assert [row.entity["RowKey"] for row in store.query(Query("inbox", (Where("ClaimId", "eq", "b1"),)))] == ["b", "c"]
    le = Where("ClaimExpires", "le", "2026-01-02")
    assert [row.entity["RowKey"] for row in store.query(Query("inbox", (le,)))] == ["a", "b"]
    both = (le, Where("ClaimId", "eq", "b1"))
    assert [row.entity["RowKey"] for row in store.query(Query("inbox", both))] == ["b"]
    assert [row.entity["RowKey"] for row in store.query(Query("inbox", limit=2))] == ["a", "b"]
    assert [row.entity["RowKey"] for row in store.query(Query("inbox", (Where("ClaimId", "eq", "b1"),), 1))] == ["b"]
    assert store.query(Query("empty", limit=5)) == []


def test_what_the_service_refuses_is_refused_alone_and_inside_transactions(store):
    with pytest.raises(EntityRefused):
        store.write(insert("big", Text="x" * 40_000))  # over 32 K UTF-16 units
    store.write(insert("fits", Text="x" * 32_000))
    with pytest.raises(EntityRefused):
        store.write(insert("a/b"))
    with pytest.raises(TransactionFailed) as failed:
        store.transact([insert("ok"), insert("big", Text="語" * 33_000)])
    assert (failed.value.index, type(failed.value.cause)) == (1, EntityRefused)
    assert [row.entity["RowKey"] for row in store.query(Query("p"))] == ["fits"]
