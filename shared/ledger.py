"""The state Table: typed reads and writes of records, with insert-once and ETag-guarded updates."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import TableClient, UpdateMode

from shared.logfields import log_fields
from shared.records import (
    BatchMember,
    BatchRecord,
    DocumentRecord,
    InboxEntry,
    JobRecord,
    JobState,
    NamePointer,
    Record,
    member_partition,
    split_long_strings,
)

logger = logging.getLogger(__name__)

R = TypeVar("R", bound=Record)
TRANSACTION_LIMIT = 100  # operations per Table transaction (one partition)
LEASE_PARTITION = "lease"


class Ledger:
    """Every read and write of the state Table goes through here."""

    def __init__(self, table: TableClient) -> None:
        self._table = table
        self._ready = False

    def ensure_table(self) -> None:
        if not self._ready:
            with contextlib.suppress(ResourceExistsError):
                self._table.create_table()
            self._ready = True

    # ---- generic ------------------------------------------------------------------------------------------------

    def insert(self, record: Record) -> bool:
        """Insert once; False when an entity with the same key already exists (a duplicate event)."""
        try:
            record.etag = self._table.create_entity(record.to_entity()).get("etag")
        except ResourceExistsError:
            return False
        return True

    def update(self, record: Record, *, guarded: bool = True) -> bool:
        """Replace the entity with `record` (None fields are removed); when guarded, only if nobody changed it since
        it was read. False when the guard failed or the entity is gone."""
        condition = (
            {"etag": record.etag, "match_condition": MatchConditions.IfNotModified}
            if guarded and record.etag
            else {"match_condition": MatchConditions.Unconditionally}
        )
        try:
            written = self._table.update_entity(record.to_entity(), mode=UpdateMode.REPLACE, **condition)
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
        record.etag = written.get("etag")
        return True

    def delete(self, record: Record) -> None:
        self._table.delete_entity(record.to_entity()["PartitionKey"], record.key)

    def get(self, cls: type[R], key: str) -> R | None:
        try:
            return cls.from_entity(self._table.get_entity(cls.PARTITION, key))
        except ResourceNotFoundError:
            return None

    def partition(self, cls: type[R], partition: str | None = None, *, where: str = "", **parameters: str) -> list[R]:
        query = "PartitionKey eq @pk" + (f" and {where}" if where else "")
        entities = self._table.query_entities(query, parameters={"pk": partition or cls.PARTITION, **parameters})
        return [cls.from_entity(entity) for entity in entities]

    def insert_all(self, records: Iterable[Record]) -> None:
        """Insert records of one partition in transactions of 100; entities already present are kept (re-runs)."""
        entities = [record.to_entity() for record in records]
        for start in range(0, len(entities), TRANSACTION_LIMIT):
            chunk = entities[start : start + TRANSACTION_LIMIT]
            try:
                self._table.submit_transaction([("upsert", entity, {"mode": UpdateMode.MERGE}) for entity in chunk])
            except Exception:
                logger.exception(
                    "a Table transaction of %d entities failed; writing them one by one",
                    len(chunk),
                    extra=log_fields("table.transaction_failed", batch_size=len(chunk)),
                )
                for entity in chunk:
                    self._table.upsert_entity(entity, mode=UpdateMode.MERGE)

    def insert_new(self, records: list[R]) -> tuple[list[R], dict[str, str]]:
        """Insert records of one partition, 100 per transaction. Returns those inserted now (not already present), and
        the keys of those the Table refused, with its reason: one refused record never keeps the others out."""
        inserted: list[R] = []
        refused: dict[str, str] = {}
        for start in range(0, len(records), TRANSACTION_LIMIT):
            chunk = records[start : start + TRANSACTION_LIMIT]
            try:
                self._table.submit_transaction([("create", record.to_entity()) for record in chunk])
            except Exception:  # one entity already present fails the whole transaction: go one by one
                for record in chunk:
                    try:
                        if self.insert(record):
                            inserted.append(record)
                    except HttpResponseError as exc:
                        code = getattr(exc, "error_code", None) or type(exc).__name__
                        refused[record.key] = f"{exc.status_code} {code}"
            else:
                inserted += chunk
        return inserted, refused

    def update_all(self, records: list[R]) -> list[R]:
        """Guarded updates of records of one partition, 100 per transaction; returns those written (a transaction
        fails whole when one record changed since it was read: its records are then tried one by one)."""
        written: list[R] = []
        for start in range(0, len(records), TRANSACTION_LIMIT):
            chunk = records[start : start + TRANSACTION_LIMIT]
            operations = [
                (
                    "update",
                    record.to_entity(),
                    {"mode": UpdateMode.REPLACE, "etag": record.etag, "match_condition": MatchConditions.IfNotModified},
                )
                for record in chunk
            ]
            try:
                results = self._table.submit_transaction(operations)
            except Exception:
                written += [record for record in chunk if self.update(record)]
                continue
            for record, result in zip(chunk, results, strict=True):
                record.etag = result.get("etag")
            written += chunk
        return written

    def delete_all(self, records: Iterable[Record]) -> None:
        """Delete records of one partition in transactions of 100; ones already gone are fine (re-runs)."""
        self.delete_keys((record.to_entity()["PartitionKey"], record.key) for record in records)

    def delete_keys(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Delete entities of one partition by (PartitionKey, RowKey), 100 per transaction; missing ones are fine."""
        keys = list(pairs)
        for start in range(0, len(keys), TRANSACTION_LIMIT):
            chunk = keys[start : start + TRANSACTION_LIMIT]
            try:
                self._table.submit_transaction([("delete", {"PartitionKey": pk, "RowKey": rk}) for pk, rk in chunk])
            except Exception:  # one entity already deleted fails the whole transaction: go one by one
                for pk, rk in chunk:
                    self._table.delete_entity(pk, rk)

    def merge_all(self, cls: type[Record], changes: dict[str, dict[str, object]]) -> None:
        """Merge properties into existing entities of one partition (key -> properties), 100 per transaction."""
        entities = [
            split_long_strings({"PartitionKey": cls.PARTITION, "RowKey": key, **props})
            for key, props in changes.items()
        ]
        for start in range(0, len(entities), TRANSACTION_LIMIT):
            chunk = entities[start : start + TRANSACTION_LIMIT]
            try:
                self._table.submit_transaction([("update", entity, {"mode": UpdateMode.MERGE}) for entity in chunk])
            except Exception:
                for entity in chunk:
                    try:
                        self._table.update_entity(entity, mode=UpdateMode.MERGE)
                    except ResourceNotFoundError:
                        logger.warning(
                            "entity %s/%s vanished before it could be updated",
                            cls.PARTITION,
                            entity["RowKey"],
                            extra=log_fields("table.entity_vanished"),
                        )

    # ---- named queries ------------------------------------------------------------------------------------------

    def document(self, key: str) -> DocumentRecord | None:
        return self.get(DocumentRecord, key)

    def inbox(self) -> list[InboxEntry]:
        return self.partition(InboxEntry)

    def expired_claims(self, now: datetime) -> list[InboxEntry]:
        """Inbox entries whose claim has expired (filtered by the service: unclaimed entries are not read)."""
        return self.partition(InboxEntry, where="ClaimExpires le @now", now=now.astimezone(UTC).isoformat())

    def batches(self) -> list[BatchRecord]:
        return self.partition(BatchRecord)

    def members(self, batch_id: str) -> list[BatchMember]:
        return self.partition(BatchMember, member_partition(batch_id))

    def active_jobs(self) -> list[JobRecord]:
        return self.partition(JobRecord)

    def job(self, job_id: str) -> JobRecord | None:
        """A job, active or finished."""
        found = self.get(JobRecord, job_id)
        if found is None:
            with contextlib.suppress(ResourceNotFoundError):
                found = JobRecord.from_entity(self._table.get_entity(JobRecord.FINISHED_PARTITION, job_id))
        return found

    def finish_job(self, job: JobRecord) -> bool:
        """Move an active job to the finished partition. Inserting the finished record is the claim to announce it:
        False when another run already did."""
        job.state = JobState.ANNOUNCED
        claimed = self.insert(job)
        self._table.delete_entity(JobRecord.PARTITION, job.key)  # also clears a stale active copy left by a re-run
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
        entity = {
            "PartitionKey": LEASE_PARTITION,
            "RowKey": "submitter",
            "Holder": holder,
            "Expires": (now + duration).isoformat(),
        }
        try:
            current = self._table.get_entity(LEASE_PARTITION, "submitter")
        except ResourceNotFoundError:
            try:
                self._table.create_entity(entity)
            except ResourceExistsError:
                return False
            return True
        held_by_other = current.get("Holder") and current["Holder"] != holder
        if held_by_other and datetime.fromisoformat(current["Expires"]) > now:
            return False
        try:
            self._table.update_entity(
                entity,
                mode=UpdateMode.REPLACE,
                etag=current.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
        return True

    def release_lease(self, holder: str) -> None:
        try:
            current = self._table.get_entity(LEASE_PARTITION, "submitter")
            if current.get("Holder") == holder:
                self._table.delete_entity(
                    LEASE_PARTITION,
                    "submitter",
                    etag=current.metadata["etag"],
                    match_condition=MatchConditions.IfNotModified,
                )
        except (ResourceModifiedError, ResourceNotFoundError):
            pass
