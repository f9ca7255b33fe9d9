"""Bounded state, RETENTION_DAYS: what ended is indexed by the UTC day it ended (`ended-{day}`), and the timer prunes
the days that are RETENTION_DAYS old, a bounded number of entries per tick, oldest day first.

Pruned: announced document versions (with their content record, when it names them), announced jobs (with their
batch members), and each day's spending records. What a status lookup would miss is left as a tombstone that says
"expired" (the name pointer, the job record), itself pruned RETENTION_DAYS later. Never pruned: anything still in the
inbox, in a job or in the outbox, nor a version whose name has a newer one still on its way (it may walk back to it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.logfields import log_fields
from shared.records import (
    BudgetDay,
    ChargeRecord,
    ContentRecord,
    DocumentState,
    Ended,
    EndedEntry,
    JobRecord,
    NamePointer,
    OutboxEntry,
    RetentionCursor,
    charge_partition,
    day_of,
    ended_partition,
    name_key,
    utc_now,
)
from shared.services import Services

logger = logging.getLogger(__name__)

CURSOR_KEY = "cursor"
ENTRIES_PER_TICK = 25  # index entries handled per timer run; each costs about 4 to 8 Table requests
ENDED_STATES = (DocumentState.COMPLETED, DocumentState.REJECTED)


def index_documents(services: Services, keys: Iterable[str], now: datetime) -> None:
    """Index document versions before they count as ended. Under the day they are indexed, not the day they ended
    (a recorded rejection announced again keeps its old time): no entry is ever written behind the cursor."""
    _index(services, [EndedEntry.of(Ended.DOCUMENT, key, day_of(now)) for key in keys])


def index_job(services: Services, job: JobRecord, now: datetime) -> None:
    """Index a job before it moves to the finished jobs."""
    _index(services, [EndedEntry.of(Ended.JOB, job.key, day_of(now), batch_id=job.batch_id)])


def _index(services: Services, entries: list[EndedEntry]) -> None:
    """Write index entries, one partition (day) at a time. Before a process's first, the cursor is made to exist
    (insert-once, at the earliest day): the pruner starts there, so no entry is ever behind it."""
    if not entries:
        return
    ledger = services.ledger
    if not services.retention_started:
        ledger.insert(RetentionCursor(key=CURSOR_KEY, day=min(entry.day for entry in entries)))
        services.retention_started = True
    for day in sorted({entry.day for entry in entries}):
        ledger.insert_all([entry for entry in entries if entry.day == day])


@dataclass(frozen=True)
class Pruned:
    entries: int  # index entries handled (pruned, or moved to a later day)
    days: int  # days finished


@dataclass
class Retention:
    services: Services
    clock: Callable[[], datetime] = utc_now

    def prune(self, deadline: float) -> Pruned:
        """Prune what is due, within ENTRIES_PER_TICK entries and the monotonic `deadline`. An idle run costs one
        read (the cursor): the due days are known without querying."""
        ledger, now = self.services.ledger, self.clock()
        cutoff = day_of(now - timedelta(days=self.services.settings.retention_days))  # days before it are due
        cursor = ledger.get(RetentionCursor, CURSOR_KEY)
        if cursor is None:  # nothing was ever indexed
            return Pruned(0, 0)
        handled = days = 0
        while cursor.day < cutoff and handled < ENTRIES_PER_TICK and time.monotonic() < deadline:
            partition = ended_partition(cursor.day)
            entries = ledger.partition(EndedEntry, partition, limit=ENTRIES_PER_TICK - handled)
            if not entries:
                self._prune_day(cursor.day)
                cursor.day = _next_day(cursor.day)
                if not ledger.update(cursor):
                    break  # another run moved it: it goes on from there
                days += 1
                continue
            for entry in entries:
                if time.monotonic() > deadline:
                    break
                self._prune(entry, now)
                handled += 1
        if handled or days:
            logger.info(
                "retention: %d entries pruned or postponed, %d days finished (RETENTION_DAYS %d)",
                handled,
                days,
                self.services.settings.retention_days,
                extra=log_fields("retention.pruned", batch_size=handled),
            )
        return Pruned(handled, days)

    # ---- one entry ----------------------------------------------------------------------------------------------

    def _prune(self, entry: EndedEntry, now: datetime) -> None:
        kept_until = {
            Ended.DOCUMENT: self._prune_document,
            Ended.JOB: self._prune_job,
            Ended.EXPIRED_NAME: self._drop_expired_name,
            Ended.EXPIRED_JOB: self._drop_expired_job,
        }[entry.kind](entry, now)
        ledger = self.services.ledger
        if kept_until is not None:  # not prunable yet: looked at again that day, not at every tick
            _index(self.services, [EndedEntry.of(entry.kind, entry.target, kept_until, entry.batch_id)])
        ledger.delete(entry)

    def _prune_document(self, entry: EndedEntry, now: datetime) -> str | None:
        """Delete an announced version; returns the day to look again instead when something still needs it."""
        ledger = self.services.ledger
        document = ledger.document(entry.target)
        if document is None:
            return None
        if document.state not in ENDED_STATES or document.completed_at is None:
            return day_of(now)  # announced again after a crash: it ends (and is indexed) again
        if day_of(document.completed_at) > entry.day:
            return day_of(document.completed_at)
        if document.message_id and ledger.get(OutboxEntry, document.message_id) is not None:
            return day_of(now)  # its message is not confirmed yet
        pointer = ledger.get(NamePointer, name_key(document.container, document.name))
        if pointer is not None and pointer.document_key != document.key:
            latest = ledger.document(pointer.document_key)
            if latest is not None and latest.state not in ENDED_STATES:
                return day_of(now)  # a newer version on its way may walk back to this one
        if document.reuse_key:
            content = ledger.get(ContentRecord, document.reuse_key)
            if content is not None and content.document_key == document.key:
                ledger.delete_unchanged(content)
        if pointer is not None and pointer.document_key == document.key and pointer.expired_at is None:
            pointer.expired_at = now
            if ledger.update(pointer):
                _index(self.services, [EndedEntry.of(Ended.EXPIRED_NAME, pointer.key, day_of(now))])
        ledger.delete(document)
        return None

    def _prune_job(self, entry: EndedEntry, now: datetime) -> str | None:
        ledger = self.services.ledger
        job = ledger.get(JobRecord, entry.target, partition=JobRecord.FINISHED_PARTITION)
        if job is None:
            return day_of(now) if ledger.get(JobRecord, entry.target) is not None else None  # still active
        if entry.batch_id:
            ledger.delete_all(ledger.members(entry.batch_id))
        if job.expired_at is None:
            _index(self.services, [EndedEntry.of(Ended.EXPIRED_JOB, job.key, day_of(now))])
            job.expired_at, job.announced = now, None
            ledger.update(job, guarded=False)
        return None

    def _drop_expired_name(self, entry: EndedEntry, now: datetime) -> str | None:
        pointer = self.services.ledger.get(NamePointer, entry.target)
        if pointer is not None and pointer.expired_at is not None:
            self.services.ledger.delete_unchanged(pointer)  # a new version of the name replaced it: it stays
        return None

    def _drop_expired_job(self, entry: EndedEntry, now: datetime) -> str | None:
        job = self.services.ledger.get(JobRecord, entry.target, partition=JobRecord.FINISHED_PARTITION)
        if job is not None and job.expired_at is not None:
            self.services.ledger.delete(job)
        return None

    # ---- one day ------------------------------------------------------------------------------------------------

    def _prune_day(self, day: str) -> None:
        """A day whose entries are all gone: its spending records go too."""
        ledger = self.services.ledger
        ledger.delete_all(ledger.partition(ChargeRecord, charge_partition(day)))
        ledger.delete_keys([(BudgetDay.PARTITION, day)])


def _next_day(day: str) -> str:
    return (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
