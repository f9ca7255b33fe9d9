"""The app's state: typed reads and writes of records on a `StateStore`, with insert-once and ETag-guarded updates."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from shared.errors import EntityChanged, EntityExists, EntityMissing, EntityRefused, StoreError, TransactionFailed
from shared.logfields import log_fields
from shared.records import (
    BatchMember,
    BatchRecord,
    DocumentRecord,
    InboxEntry,
    JobRecord,
    JobState,
    Lease,
    NamePointer,
    Record,
    changed_properties,
    member_partition,
    split_long_strings,
)
from shared.state_store import TRANSACTION_LIMIT, Op, Operation, Query, StateStore, Where

logger = logging.getLogger(__name__)

R = TypeVar("R", bound=Record)
LEASE_KEY = "submitter"
_Outcome = str | None | StoreError  # a write's new ETag (None for a delete), or the store's refusal


class Ledger:
    """Every read and write of the app's state goes through here; wire names stay in the records."""

    def __init__(self, store: StateStore) -> None:
        self._store = store

    def ensure_table(self) -> None:
        self._store.ensure()

    # ---- generic ------------------------------------------------------------------------------------------------

    def insert(self, record: Record) -> bool:
        """Insert once; False when an entity with the same key already exists (a duplicate event)."""
        try:
            record.etag = self._store.write(Operation(Op.INSERT, record.to_entity()))
        except EntityExists:
            return False
        return True

    def update(self, record: Record, *, guarded: bool = True) -> bool:
        """Replace the entity with `record` (None fields are removed); when guarded, only if nobody changed it since
        it was read. False when the guard failed or the entity is gone."""
        etag = record.etag if guarded else None
        try:
            record.etag = self._store.write(Operation(Op.REPLACE, record.to_entity(), etag))
        except (EntityChanged, EntityMissing):
            return False
        return True

    def delete(self, record: Record) -> None:
        self._store.write(Operation(Op.DELETE, _address(record.to_entity()["PartitionKey"], record.key)))

    def delete_unchanged(self, record: Record) -> bool:
        """Delete the entity only if nobody changed it since it was read; False when it changed (or is gone)."""
        address = _address(record.to_entity()["PartitionKey"], record.key)
        try:
            self._store.write(Operation(Op.DELETE, address, record.etag))
        except (EntityChanged, EntityMissing):
            return False
        return True

    def get(self, cls: type[R], key: str, *, partition: str | None = None) -> R | None:
        stored = self._store.get(partition or cls.PARTITION, key)
        return cls.from_entity(stored.entity, stored.etag) if stored else None

    def partition(
        self, cls: type[R], partition: str | None = None, *, where: Iterable[Where] = (), limit: int | None = None
    ) -> list[R]:
        rows = self._store.query(Query(partition or cls.PARTITION, tuple(where), limit))
        return [cls.from_entity(stored.entity, stored.etag) for stored in rows]

    def insert_all(self, records: Iterable[Record]) -> None:
        """Insert records of one partition in transactions of 100; entities already present are kept (re-runs)."""
        self._in_transactions([Operation(Op.UPSERT, record.to_entity()) for record in records], recoverable=())

    def insert_new(self, records: list[R]) -> tuple[list[R], dict[str, str]]:
        """Insert records of one partition, 100 per transaction. Returns those inserted now (not already present), and
        the keys of those the store refused, with its reason: one refused record never keeps the others out."""
        outcomes = self._in_transactions(
            [Operation(Op.INSERT, record.to_entity()) for record in records], recoverable=(EntityExists, EntityRefused)
        )
        inserted: list[R] = []
        refused: dict[str, str] = {}
        for record, outcome in zip(records, outcomes, strict=True):
            if isinstance(outcome, EntityRefused):
                refused[record.key] = outcome.reason
            elif not isinstance(outcome, StoreError):
                record.etag = outcome
                inserted.append(record)
        return inserted, refused

    def update_all(self, records: list[R]) -> list[R]:
        """Guarded updates of records of one partition, 100 per transaction; returns those written (a transaction
        fails whole when one record changed since it was read: its records are then tried one by one)."""
        outcomes = self._in_transactions(
            [Operation(Op.REPLACE, record.to_entity(), record.etag) for record in records],
            recoverable=(EntityChanged, EntityMissing),
        )
        written: list[R] = []
        for record, outcome in zip(records, outcomes, strict=True):
            if not isinstance(outcome, StoreError):
                record.etag = outcome
                written.append(record)
        return written

    def delete_all(self, records: Iterable[Record]) -> None:
        """Delete records of one partition in transactions of 100; ones already gone are fine (re-runs)."""
        self.delete_keys((record.to_entity()["PartitionKey"], record.key) for record in records)

    def delete_keys(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Delete entities of one partition by (PartitionKey, RowKey), 100 per transaction; missing ones are fine."""
        operations = [Operation(Op.DELETE, _address(partition, key)) for partition, key in pairs]
        self._in_transactions(operations, recoverable=(EntityMissing,))

    def merge_all(self, cls: type[Record], changes: dict[str, dict[str, Any]]) -> None:
        """Merge field values into existing records of one partition (key -> {field: value}; None leaves a field as
        it is), 100 per transaction."""
        operations = [
            Operation(Op.MERGE, split_long_strings({**_address(cls.PARTITION, key), **changed_properties(cls, values)}))
            for key, values in changes.items()
        ]
        outcomes = self._in_transactions(operations, recoverable=(EntityMissing,))
        for operation, outcome in zip(operations, outcomes, strict=True):
            if isinstance(outcome, EntityMissing):
                logger.warning(
                    "entity %s/%s vanished before it could be updated",
                    cls.PARTITION,
                    operation.key,
                    extra=log_fields("table.entity_vanished"),
                )

    def _in_transactions(
        self, operations: list[Operation], *, recoverable: tuple[type[StoreError], ...]
    ) -> list[_Outcome]:
        """Run writes of one partition in transactions of 100. A transaction that failed because of one entity (a
        reason in `recoverable`: it exists, changed, vanished or was refused) is retried one write at a time, whose
        refusals are returned in place of an ETag; any other failure (throttled, unreachable) is raised at once."""
        outcomes: list[_Outcome] = []
        for start in range(0, len(operations), TRANSACTION_LIMIT):
            chunk = operations[start : start + TRANSACTION_LIMIT]
            try:
                outcomes += self._store.transact(chunk)
            except TransactionFailed as failed:
                if not isinstance(failed.cause, recoverable):
                    raise
                for operation in chunk:
                    try:
                        outcomes.append(self._store.write(operation))
                    except recoverable as refusal:
                        outcomes.append(refusal)
        return outcomes

    # ---- named queries ------------------------------------------------------------------------------------------

    def document(self, key: str) -> DocumentRecord | None:
        return self.get(DocumentRecord, key)

    def inbox(self) -> list[InboxEntry]:
        return self.partition(InboxEntry)

    def expired_claims(self, now: datetime) -> list[InboxEntry]:
        """Inbox entries whose claim has expired (filtered by the service: unclaimed entries are not read)."""
        return self.partition(InboxEntry, where=[Where("ClaimExpires", "le", now.astimezone(UTC).isoformat())])

    def claimed_by(self, batch_id: str) -> list[InboxEntry]:
        """Inbox entries a batch claimed (filtered by the service)."""
        return self.partition(InboxEntry, where=[Where("ClaimId", "eq", batch_id)])

    def batches(self) -> list[BatchRecord]:
        return self.partition(BatchRecord)

    def members(self, batch_id: str) -> list[BatchMember]:
        return self.partition(BatchMember, member_partition(batch_id))

    def active_jobs(self) -> list[JobRecord]:
        return self.partition(JobRecord)

    def job(self, job_id: str) -> JobRecord | None:
        """A job, active or finished."""
        return self.get(JobRecord, job_id) or self.get(JobRecord, job_id, partition=JobRecord.FINISHED_PARTITION)

    def finish_job(self, job: JobRecord) -> bool:
        """Move an active job to the finished partition. Inserting the finished record is the claim to announce it:
        False when another run already did."""
        job.state = JobState.ANNOUNCED
        claimed = self.insert(job)
        self._store.write(Operation(Op.DELETE, _address(JobRecord.PARTITION, job.key)))  # also a re-run's stale copy
        return claimed

    def latest_version(self, pointer_key: str) -> DocumentRecord | None:
        pointer = self.get(NamePointer, pointer_key)
        return self.document(pointer.document_key) if pointer else None

    def point_name(self, pointer: NamePointer, *, current: NamePointer | None) -> None:
        """Make `pointer` the latest version of its name unless a later-received version is already recorded.
        `current` is the pointer as last read (saves a read); on a conflict it is read again."""
        for attempt in range(5):
            if attempt:
                current = self.get(NamePointer, pointer.key)
            if current is None:
                if self.insert(pointer):
                    return
                continue
            if current.received_at > pointer.received_at or current.document_key == pointer.document_key:
                return
            pointer.etag = current.etag
            if self.update(pointer):
                return

    # ---- the submitter lease ------------------------------------------------------------------------------------

    def acquire_lease(self, holder: str, *, now: datetime, duration: timedelta) -> bool:
        """Take (or renew) the single submitter lease; False while someone else holds an unexpired one."""
        current = self.get(Lease, LEASE_KEY)
        lease = Lease(key=LEASE_KEY, holder=holder, expires=now + duration)
        if current is None:
            return self.insert(lease)
        if current.holder != holder and current.expires > now:
            return False
        lease.etag = current.etag
        return self.update(lease)

    def release_lease(self, holder: str) -> None:
        current = self.get(Lease, LEASE_KEY)
        if current is not None and current.holder == holder:
            with contextlib.suppress(EntityChanged):  # renewed or taken over meanwhile: not ours to delete
                self._store.write(Operation(Op.DELETE, _address(Lease.PARTITION, LEASE_KEY), current.etag))


def _address(partition: str, key: str) -> dict[str, str]:
    return {"PartitionKey": partition, "RowKey": key}
