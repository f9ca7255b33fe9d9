"""`StateStore` in memory, with Table storage's semantics, for unit tests and the crash explorer.

Modelled: insert-once, ETags that change on every write, guarded replace/merge/delete, all-or-nothing transactions
of at most 100 operations in one partition with each key once, RowKey order, the key characters and the size limits
that make the service refuse an entity. Not modelled (see docs/reliability.md): throttling and latency, the 4 MiB
transaction payload limit, Int64/Guid/binary typing, and the service's timestamp property.
"""

from __future__ import annotations

import itertools
import threading
from datetime import datetime

from shared.errors import EntityChanged, EntityExists, EntityMissing, EntityRefused, StoreError, TransactionFailed
from shared.state_store import TRANSACTION_LIMIT, Entity, Op, Operation, Query, Stored

MAX_KEY_CHARS = 1024
MAX_STRING_UNITS = 32_768  # UTF-16 code units: 64 KiB
MAX_ENTITY_BYTES = 1024 * 1024
MAX_PROPERTIES = 252
_FORBIDDEN_KEY_CHARS = frozenset("/\\#?") | {chr(code) for code in (*range(0x20), *range(0x7F, 0xA0))}
_VALUE_TYPES = (str, bool, int, float, datetime, bytes)


class MemoryStateStore:
    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], tuple[Entity, str]] = {}
        self._lock = threading.Lock()
        self._versions = itertools.count(1)

    def ensure(self) -> None:
        return None

    def get(self, partition: str, key: str) -> Stored | None:
        with self._lock:
            row = self._rows.get((partition, key))
            return Stored(dict(row[0]), row[1]) if row else None

    def query(self, query: Query) -> list[Stored]:
        with self._lock:
            found = [
                Stored(dict(entity), etag)
                for (partition, _), (entity, etag) in sorted(self._rows.items())
                if partition == query.partition and all(where.matches(entity) for where in query.where)
            ]
        return found if query.limit is None else found[: query.limit]

    def write(self, operation: Operation) -> str | None:
        with self._lock:
            address = (operation.partition, operation.key)
            if operation.op is Op.DELETE and address not in self._rows:
                return None  # deleting twice is a re-run
            changes = self._apply(operation, self._rows)
            self._store(self._rows, changes)
            return self._result(operation, changes)

    def transact(self, operations: list[Operation]) -> list[str | None]:
        if len(operations) > TRANSACTION_LIMIT:
            raise ValueError(f"a transaction holds at most {TRANSACTION_LIMIT} operations, not {len(operations)}")
        if len({operation.partition for operation in operations}) > 1:
            raise ValueError("all operations of a transaction must be in one partition")
        with self._lock:
            working = dict(self._rows)
            results: list[str | None] = []
            seen: set[str] = set()
            for index, operation in enumerate(operations):
                try:
                    if operation.key in seen:
                        raise EntityRefused("400 InvalidDuplicateRow")
                    seen.add(operation.key)
                    changes = self._apply(operation, working)
                except StoreError as cause:
                    raise TransactionFailed(index, cause) from None
                self._store(working, changes)
                results.append(self._result(operation, changes))
            self._rows = working
            return results

    def _apply(self, operation: Operation, rows: dict) -> dict[tuple[str, str], tuple[Entity, str] | None]:
        """The rows `operation` changes (None: deleted), checked against `rows`; raises the store's refusal."""
        address = (operation.partition, operation.key)
        current = rows.get(address)
        if operation.op is Op.INSERT and current is not None:
            raise EntityExists("409 EntityAlreadyExists")
        if operation.op in (Op.REPLACE, Op.MERGE, Op.DELETE) and current is None:
            raise EntityMissing("404 ResourceNotFound")
        if operation.etag is not None and current is not None and current[1] != operation.etag:
            raise EntityChanged("412 UpdateConditionNotSatisfied")
        if operation.op is Op.DELETE:
            return {address: None}
        properties = {name: value for name, value in operation.entity.items() if value is not None}
        if operation.op in (Op.MERGE, Op.UPSERT) and current is not None:
            properties = current[0] | properties
        _check(properties)
        return {address: (properties, f'W/"{next(self._versions)}"')}

    @staticmethod
    def _store(rows: dict, changes: dict) -> None:
        for address, row in changes.items():
            if row is None:
                rows.pop(address, None)
            else:
                rows[address] = row

    @staticmethod
    def _result(operation: Operation, changes: dict) -> str | None:
        row = changes[(operation.partition, operation.key)]
        return None if row is None else row[1]


def _check(entity: Entity) -> None:
    """Refuse what Table storage refuses: bad keys, strings over 64 KiB, entities over 1 MiB or 252 properties."""
    for name in ("PartitionKey", "RowKey"):
        key = entity.get(name)
        if not isinstance(key, str) or len(key) > MAX_KEY_CHARS or _FORBIDDEN_KEY_CHARS.intersection(key):
            raise EntityRefused("400 InvalidInput")
    if len(entity) - 2 > MAX_PROPERTIES:
        raise EntityRefused("400 TooManyProperties")
    size = 0
    for name, value in entity.items():
        if not isinstance(value, _VALUE_TYPES):
            raise TypeError(f"property {name}: a Table cannot hold {type(value).__name__}")
        if isinstance(value, str):
            units = len(value.encode("utf-16-le")) // 2
            if units > MAX_STRING_UNITS:
                raise EntityRefused("400 PropertyValueTooLarge")
            size += 2 * units
        else:
            size += 8
        size += 2 * len(name) + 8
    if size > MAX_ENTITY_BYTES:
        raise EntityRefused("400 EntityTooLarge")
