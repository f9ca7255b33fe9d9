"""The spending cap, MAX_CHARACTERS_PER_DAY: one owner for what each UTC day's batches cost and for what happens when
a day's cap is reached.

Each batch is booked on the day it is posted with an estimate (bytes times target languages: never less than a text
document is charged, more than an Office or PDF file usually is), settled with what its job was charged when the job
ends, and cancelled when it never became a job. A document that does not fit what is left of today waits in the inbox
until the next UTC day; the first one of a day also brings that day's one BudgetReached message. A document whose
estimate alone is over the cap could never be sent: it is rejected.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from shared import outbox
from shared.logfields import log_fields
from shared.messages import BudgetReached
from shared.problems import Problem, Reason
from shared.records import (
    BatchMember,
    BatchRecord,
    BudgetDay,
    ChargeRecord,
    InboxEntry,
    JobRecord,
    SourceVersion,
    charge_partition,
    day_of,
    utc_now,
)
from shared.services import Services
from shared.settings import MAX_CHARACTERS_PER_DAY
from shared.storage import BlobPath

logger = logging.getLogger(__name__)

WAITING_FOR_BUDGET = "budget"


def next_day(moment: datetime) -> datetime:
    """Midnight UTC after `moment`: when a day's budget starts afresh."""
    start = datetime.fromisoformat(day_of(moment)).replace(tzinfo=UTC)
    return start + timedelta(days=1)


def estimate(version: SourceVersion) -> int:
    """Characters a version may be charged: its bytes in each language still to translate."""
    return version.bytes * max(1, len(version.wanted_languages))


@dataclass
class DayBudget:
    """What is left of one day's cap, as one submitter pass sees it."""

    day: str
    cap: int
    spent: int  # today's finished jobs as charged, those in flight as estimated
    planned: int = 0  # estimates of the documents chosen in this pass
    waiting: list[InboxEntry] = field(default_factory=list)  # chosen to wait for the next day in this pass

    def take(self, version: SourceVersion) -> bool:
        """Count the version in when it fits what is left; False (and it waits) when it does not."""
        characters = estimate(version)
        if self.spent + self.planned + characters > self.cap:
            self.waiting.append(version)
            return False
        self.planned += characters
        return True


@dataclass
class Spending:
    services: Services
    clock: Callable[[], datetime] = utc_now

    @property
    def cap(self) -> int | None:
        return self.services.settings.max_characters_per_day

    def today(self) -> DayBudget | None:
        """Today's budget (one query), or None when there is no cap."""
        if self.cap is None:
            return None
        day = day_of(self.clock())
        charges = self.services.ledger.partition(ChargeRecord, charge_partition(day))
        return DayBudget(day, self.cap, sum(charge.characters for charge in charges))

    def over_cap(self, version: SourceVersion) -> Problem | None:
        """Why a version can never be sent under the cap, or None."""
        characters = estimate(version)
        if self.cap is None or characters <= self.cap:
            return None
        return Problem(
            Reason.OVER_DAILY_BUDGET,
            f"The document may be charged up to {characters:,} characters ({version.bytes:,} bytes in "
            f"{max(1, len(version.wanted_languages))} target languages), more than {MAX_CHARACTERS_PER_DAY} "
            f"({self.cap:,}) allows in a day: raise {MAX_CHARACTERS_PER_DAY} or split the document, then upload it "
            "again.",
        )

    # ---- the batch lifecycle's bookings -------------------------------------------------------------------------

    def book(self, batch: BatchRecord, members: list[BatchMember]) -> None:
        """Book a batch's estimate on the day it is posted (before the POST: a crash after it leaves the estimate)."""
        if self.cap is None:
            return
        charge = ChargeRecord(
            key=batch.key, day=day_of(batch.created_at), estimated=sum(estimate(member) for member in members)
        )
        self.services.ledger.insert_all([charge])

    def cancel(self, batch: BatchRecord) -> None:
        """A batch that never became a job costs nothing."""
        if self.cap is not None:
            self.services.ledger.delete_keys([(charge_partition(day_of(batch.created_at)), batch.key)])

    def settle(self, job: JobRecord, charged: int | None) -> None:
        """Replace a finished job's estimate with what it was charged (None: unknown, the estimate stays)."""
        if job.charge_day is None or charged is None:
            return
        ledger = self.services.ledger
        charge = ledger.get(ChargeRecord, job.batch_id, partition=charge_partition(job.charge_day))
        if charge is None:
            ledger.insert_all([ChargeRecord(key=job.batch_id, day=job.charge_day, estimated=charged, charged=charged)])
        elif charge.charged != charged:
            charge.charged = charged
            ledger.update(charge, guarded=False)

    # ---- a day's cap reached ------------------------------------------------------------------------------------

    def defer(self, budget: DayBudget) -> list[str]:
        """The documents that did not fit today wait until the next UTC day (ETag-guarded: one changed meanwhile is
        left to the next pass); returns the day's BudgetReached message the first time."""
        if not budget.waiting:
            return []
        now = self.clock()
        resumes = next_day(now)
        messages = self._reached(budget, now, resumes)  # first: entries already waiting would never bring it again
        for entry in budget.waiting:
            entry.not_before, entry.waiting_for = resumes, WAITING_FOR_BUDGET
        for entry in self.services.ledger.update_all(budget.waiting):
            path = BlobPath(entry.container, entry.name)
            logger.info(
                "document %s: waits for tomorrow's budget (%s)",
                path,
                MAX_CHARACTERS_PER_DAY,
                extra=log_fields("document.waits_for_budget", document=path),
            )
        budget.waiting = []
        return messages

    def _reached(self, budget: DayBudget, now: datetime, resumes: datetime) -> list[str]:
        """The day's message into the outbox (insert-once by its id), then the day recorded as reached: a crash in
        between leaves a message the outbox delivers, and at worst the same message (same id) recorded again."""
        ledger = self.services.ledger
        if ledger.get(BudgetDay, budget.day) is not None:
            return []
        event = BudgetReached(
            day=budget.day,
            cap=budget.cap,
            spent=budget.spent,
            reached_at=now,
            resumes_at=resumes,
            event_source=self.services.event_source,
        )
        recorded = outbox.record(self.services, [event], now=now)
        ledger.insert(BudgetDay(key=budget.day, reached_at=now))
        if recorded:
            logger.warning(
                "budget: %s of %s characters spent or in flight on %s (%s); new documents wait until %s",
                f"{budget.spent:,}",
                f"{budget.cap:,}",
                budget.day,
                MAX_CHARACTERS_PER_DAY,
                resumes.isoformat(),
                extra=log_fields("budget.reached", characters=budget.spent),
            )
        return recorded

    def reached_on(self, day: str) -> BudgetDay | None:
        return self.services.ledger.get(BudgetDay, day)
