"""The batch lifecycle, one owner for both triggers: a set of claimed documents is opened as a batch, marked
posting (or uncertain), recorded as the job it became, or released back to the inbox; and a batch a crash left
half-way is recovered. Every step is safe to re-run after a crash at any point (see docs/reliability.md)."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.documents import mark_submitted
from shared.errors import TranslatorError
from shared.logfields import log_fields
from shared.records import (
    BatchMember,
    BatchRecord,
    BatchState,
    InboxEntry,
    JobRecord,
    JobState,
    day_of,
    utc_now,
)
from shared.services import Services
from shared.spending import Spending
from shared.translator import MAX_RETRY_AFTER_SECONDS

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 900.0
UNCERTAIN_GRACE = timedelta(seconds=30)  # give a POST that timed out time to show up among the service's jobs
JOB_LOOKBACK = timedelta(minutes=15)


@dataclass
class Batches:
    services: Services
    clock: Callable[[], datetime] = utc_now

    @property
    def _spending(self) -> Spending:
        return Spending(self.services, self.clock)

    # ---- the submitter's steps ----------------------------------------------------------------------------------

    def claim(self, entries: list[InboxEntry], batch_id: str) -> list[InboxEntry]:
        """The entries this batch took (ETag-guarded: an entry another submitter claimed first is not among them)."""
        expires = self.clock() + timedelta(seconds=self.services.settings.claim_timeout_seconds)
        for entry in entries:
            entry.claim_id, entry.claim_expires, entry.waiting_for = batch_id, expires, None
        return self.services.ledger.update_all(entries)

    def open(self, batch_id: str, entries: list[InboxEntry]) -> tuple[BatchRecord, list[BatchMember]]:
        """Record the batch, then its members (recovery frees the claims of a batch whose members never landed), then
        its estimate under a spending cap (a batch recovery releases is cancelled with it)."""
        now = self.clock()
        batch = BatchRecord(
            key=batch_id,
            state=BatchState.CLAIMED,
            created_at=now,
            claim_expires=now + timedelta(seconds=self.services.settings.claim_timeout_seconds),
            document_count=len(entries),
        )
        self.services.ledger.insert(batch)
        members = [BatchMember(batch_id=batch_id, **entry.version_fields()) for entry in entries]
        self.services.ledger.insert_all(members)
        self._spending.book(batch, members)
        return batch, members

    def posting(self, batch: BatchRecord) -> bool:
        """Mark the POST as under way; False when recovery took the batch over meanwhile (it is not ours now)."""
        batch.state = BatchState.POSTING
        return self.services.ledger.update(batch)

    def uncertain(self, batch: BatchRecord) -> None:
        """The POST may have created a job: recovery looks for it after UNCERTAIN_GRACE."""
        batch.state = BatchState.UNCERTAIN
        self.services.ledger.update(batch, guarded=False)

    def discard(self, batch: BatchRecord) -> None:
        """A batch left with no documents to post."""
        self._spending.cancel(batch)
        self.services.ledger.delete(batch)

    def record(self, batch: BatchRecord, job_id: str, members: list[BatchMember]) -> None:
        """Everything that follows a created job, safe to re-run after a crash at any step. The order matters: the
        job record goes in last but two, so once the poller can see (and announce) the job, its documents already
        say they are in it, and a re-run that finds the job recorded never writes "Submitted" over an announced
        document."""
        ledger, now = self.services.ledger, self.clock()
        batch.state, batch.job_id = BatchState.SUBMITTED, job_id
        ledger.update(batch, guarded=False)  # from here on, recovery finishes this at its next tick
        if ledger.job(job_id) is None:
            mark_submitted(ledger, members, job_id, now=now)
            ledger.insert(
                JobRecord(
                    key=job_id,
                    batch_id=batch.key,
                    state=JobState.ACTIVE,
                    status="NotStarted",
                    created_at=now,
                    next_poll_at=now,
                    document_count=len(members),
                    charge_day=day_of(batch.created_at) if self._spending.cap is not None else None,
                )
            )
        ledger.delete_all(inbox_key(member) for member in members)
        ledger.delete(batch)

    def release(
        self,
        batch: BatchRecord,
        members: list[BatchMember],
        *,
        retry_after: float | None,
        count_attempt: bool = True,
        refuse: str | None = None,
    ) -> None:
        """Give claimed documents back to the inbox (after a backoff when the Translator pushed back); those that ask
        for the target language `refuse` go back without it."""
        ledger = self.services.ledger
        entries = [entry for member in members if (entry := ledger.get(InboxEntry, member.key)) is not None]
        self._unclaim(batch, entries, retry_after=retry_after, count_attempt=count_attempt, refuse=refuse)
        ledger.delete_all(members)
        self._spending.cancel(batch)
        ledger.delete(batch)

    # ---- recovery (the timer's first step) ----------------------------------------------------------------------

    def recover_all(self) -> None:
        remaining = self._recover_batches(self.services.ledger.batches())
        self._release_orphan_claims(remaining)  # judged against the batches recovery left, not those it removed

    def _recover_batches(self, batches: list[BatchRecord]) -> set[str]:
        """Recover each interrupted batch; returns the keys of the batches still recorded afterwards."""
        now = self.clock()
        remaining: set[str] = set()
        for batch in batches:
            try:
                if self._recover(batch, now):
                    remaining.add(batch.key)
            except TranslatorError as exc:
                remaining.add(batch.key)
                logger.warning(
                    "batch %s: recovery postponed (%s)",
                    batch.key,
                    exc,
                    extra=log_fields("batch.recovery_postponed", batch_id=batch.key, error_code=exc.reason),
                )
        return remaining

    def _recover(self, batch: BatchRecord, now: datetime) -> bool:
        """Finish, adopt or release one batch; True when it is left as it is (its claim has not expired yet)."""
        members = self.services.ledger.members(batch.key)
        if batch.state is BatchState.SUBMITTED and batch.job_id:
            logger.info(
                "batch %s: finishing the bookkeeping of job %s",
                batch.key,
                batch.job_id,
                extra=log_fields("batch.recovered", batch_id=batch.key, job_id=batch.job_id, batch_size=len(members)),
            )
            self.record(batch, batch.job_id, members)
            return False
        uncertain_due = batch.state is BatchState.UNCERTAIN and now - batch.created_at >= UNCERTAIN_GRACE
        if not (batch.is_expired(now) or uncertain_due):
            return True
        if batch.state in (BatchState.POSTING, BatchState.UNCERTAIN):
            job_id = self._find_job_of(batch, members)
            if job_id is not None:
                logger.info(
                    "batch %s: found job %s the interrupted submission created",
                    batch.key,
                    job_id,
                    extra=log_fields("batch.recovered", batch_id=batch.key, job_id=job_id, batch_size=len(members)),
                )
                self.record(batch, job_id, members)
                return False
        released = self._release_claimed(batch, members)
        logger.info(
            "batch %s: %s and never submitted; %d documents go back to the inbox",
            batch.key,
            batch.state,
            released,
            extra=log_fields("batch.released", batch_id=batch.key, batch_size=released),
        )
        return False

    def _find_job_of(self, batch: BatchRecord, members: list[BatchMember]) -> str | None:
        """A recent job on the service whose documents are exactly this batch's sources, and not another batch's."""
        translator, ledger = self.services.translator, self.services.ledger
        wanted = {(member.container, member.name) for member in members}
        for job in translator.list_jobs_created_since(batch.created_at - JOB_LOOKBACK):
            known = ledger.job(job.id)
            if known is not None:
                if known.batch_id == batch.key:
                    return job.id
                continue
            sources = {self.services.blobs.path_of(doc.source_url) for doc in translator.list_documents(job.id)}
            if {(path.container, path.name) for path in sources if path} == wanted:
                return job.id
        return None

    def _release_claimed(self, batch: BatchRecord, members: list[BatchMember]) -> int:
        """Release a batch that never became a job: every inbox entry it claimed goes back, found by its claim, not
        by the member rows (a submitter killed between recording the batch and its members wrote none). Returns how
        many documents went back."""
        ledger = self.services.ledger
        entries = ledger.claimed_by(batch.key)
        self._unclaim(batch, entries, retry_after=None, count_attempt=False)
        ledger.delete_all(members)
        self._spending.cancel(batch)
        ledger.delete(batch)
        return len(entries)

    def _release_orphan_claims(self, batches: set[str]) -> None:
        """Inbox entries claimed by a batch that never got recorded (the claimer died in between)."""
        ledger, now = self.services.ledger, self.clock()
        for entry in ledger.expired_claims(now):
            if entry.claim_id and entry.claim_id not in batches:
                entry.claim_id, entry.claim_expires = None, None
                ledger.update(entry)

    def _unclaim(
        self,
        batch: BatchRecord,
        entries: list[InboxEntry],
        *,
        retry_after: float | None,
        count_attempt: bool,
        refuse: str | None = None,
    ) -> None:
        now = self.clock()
        for entry in entries:
            if entry.claim_id != batch.key:
                continue
            if refuse is not None and refuse in entry.wanted_languages:
                entry.refused_languages = (*entry.refused_languages, refuse)
            attempts = entry.attempts + 1 if count_attempt else entry.attempts
            entry.claim_id, entry.claim_expires, entry.attempts = None, None, attempts
            backoff = timedelta(seconds=backoff_seconds(attempts, retry_after))
            entry.not_before = now + backoff if count_attempt else None
            self.services.ledger.update(entry)


def backoff_seconds(attempts: int, retry_after: float | None) -> float:
    """Wait before a throttled batch is tried again: Retry-After when given, else exponential with jitter."""
    exponential = min(MAX_BACKOFF_SECONDS, 5.0 * 2.0 ** min(max(0, attempts - 1), 20))
    honoured = min(retry_after or 0.0, MAX_RETRY_AFTER_SECONDS)  # the client caps it too; never trust a caller
    return max(honoured, random.uniform(exponential / 2, exponential))


def inbox_key(member: BatchMember) -> InboxEntry:
    """The inbox entry of a batch member (for deleting it by key)."""
    return InboxEntry(**member.version_fields())
