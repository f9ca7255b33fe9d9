"""The state store seam: exactly the operations the app needs from a table of entities, and nothing else.

Two implementations keep the same semantics: `TableStateStore` (Azure Table storage, or Azurite) and
`MemoryStateStore` (tests and the crash explorer). Entities are plain dicts with `PartitionKey` and `RowKey`; a
property whose value is None is not stored. Errors are the app's own (`shared.errors.StoreError` and below).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

Entity = dict[str, Any]
TRANSACTION_LIMIT = 100  # operations per transaction, all in one partition


@dataclass(frozen=True)
class Stored:
    """An entity as read, with the ETag that guards a later write."""

    entity: Entity
    etag: str


class Op(StrEnum):
    INSERT = "insert"  # insert once: EntityExists when the key is taken
    REPLACE = "replace"  # replace all properties of an existing entity: EntityMissing when there is none
    MERGE = "merge"  # merge properties into an existing entity: EntityMissing when there is none
    UPSERT = "upsert"  # merge into the entity, creating it when there is none
    DELETE = "delete"  # delete an existing entity: EntityMissing when there is none


@dataclass(frozen=True)
class Operation:
    """One write of a transaction; `etag` (REPLACE, MERGE, DELETE) guards it: EntityChanged when the entity changed."""

    op: Op
    entity: Entity
    etag: str | None = None

    @property
    def partition(self) -> str:
        return self.entity["PartitionKey"]

    @property
    def key(self) -> str:
        return self.entity["RowKey"]


@dataclass(frozen=True)
class Where:
    """A filter on a string property, evaluated by the store: `eq` or `le` (ordinal comparison, as Table storage)."""

    name: str
    op: str  # "eq" | "le"
    value: str

    def __post_init__(self) -> None:
        if self.op not in ("eq", "le"):
            raise ValueError(f"unsupported filter operator {self.op!r}")

    def matches(self, entity: Entity) -> bool:
        value = entity.get(self.name)
        if not isinstance(value, str):
            return False
        return value == self.value if self.op == "eq" else value <= self.value


@dataclass(frozen=True)
class Query:
    partition: str
    where: tuple[Where, ...] = field(default=())
    limit: int | None = None  # at most this many, the first in RowKey order (one page)


class StateStore(Protocol):
    def ensure(self) -> None:
        """Create the table when it does not exist yet (idempotent)."""

    def get(self, partition: str, key: str) -> Stored | None: ...

    def query(self, query: Query) -> list[Stored]:
        """The entities of one partition that match every filter, in RowKey order (the first `limit` of them)."""

    def write(self, operation: Operation) -> str | None:
        """One write; returns the new ETag (None for a delete). Deleting a missing entity is not an error here
        (deleting twice is a re-run); inside a transaction it is."""

    def transact(self, operations: list[Operation]) -> list[str | None]:
        """At most TRANSACTION_LIMIT writes to one partition, each key at most once, applied all or none: returns
        the new ETags in order, or raises TransactionFailed naming the first operation that failed."""
