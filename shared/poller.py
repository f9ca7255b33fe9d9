"""The timer's work: recover interrupted submissions, re-submit what waits, poll due jobs, announce finished ones."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared import outbox
from shared.announcements import announce, source_info
from shared.batches import Batches
from shared.documents import requeue
from shared.errors import (
    JobNotFound,
    TranslatorError,
    TranslatorThrottled,
    TranslatorUnavailable,
)
from shared.logfields import log_fields
from shared.messages import Announcement, Outcome, TargetResult, outcome_of
from shared.problems import Problem, Reason, refused_target_language
from shared.records import (
    BatchMember,
    JobRecord,
    utc_now,
)
from shared.retention import Retention, index_job
from shared.services import Services
from shared.spending import Spending
from shared.storage import BlobPath
from shared.submitter import Submitter
from shared.translator import DocumentStatus, JobStatus, time_budget

logger = logging.getLogger(__name__)

TARGET_EXISTS = Reason.TARGET_FILE_ALREADY_EXISTS
_TARGET_EXISTS_MESSAGE = (
    "An output blob already exists at {TARGET_CONTAINER}/{language}/{name} and was not written by this app for an "
    "earlier version; the Translator never overwrites. Delete or move that blob, then upload the document again."
)
FINISHED_DOCUMENT_STATUSES = ("Succeeded", "Failed", "Cancelled")
TICK_STEPS = 5  # recover, poll, submit, overdue, prune
UNRECORDED_RETRY = timedelta(minutes=1)  # a job some of whose messages the outbox refused is announced again then
SUBMIT_SECONDS_PER_TICK = 10.0  # then the tick ends, so the next one polls on time; a later tick or trigger goes on
PRUNE_SECONDS_PER_TICK = 5.0  # retention's share of a tick; what is left waits for the next
# Status reads are served from caches (`Cache-Control: public, max-age=1`; a stale status kept coming back for about a
# minute in a recording): a job can read as ended while its document list still shows a document running, or none.
# Such a job is polled again after STALE_READ_RETRY, for up to STALE_READ_GRACE after its end was first seen; then a
# result still missing is announced as missing.
STALE_READ_RETRY = timedelta(seconds=5)
STALE_READ_GRACE = timedelta(minutes=3)


@dataclass
class Poller:
    services: Services
    budget_seconds: float = 240.0
    clock: Callable[[], datetime] = utc_now

    def tick(self) -> list[str]:
        """One timer run; safe to re-run, skip or run late. Returns the completion messages to request from the
        publisher: this run's, and those of earlier runs never confirmed. Each step runs on its own: one that fails is
        logged and the others still run (so a broken job or batch never stops polling or re-requesting the outbox);
        the run fails only when every step failed. Translator calls share the run's budget, retries included."""
        with time_budget(self.budget_seconds):
            return self._tick()

    def _tick(self) -> list[str]:
        started = time.monotonic()
        deadline = started + self.budget_seconds
        failures: list[Exception] = []
        announcements: list[str] = []
        self._step("recover", Batches(self.services, self.clock).recover_all, failures)
        # polling first: a long submission must not hold back announcements
        announcements += self._step("poll", lambda: self._poll_due_jobs(deadline), failures)
        submit_budget = min(SUBMIT_SECONDS_PER_TICK, max(0.0, deadline - time.monotonic()))
        submitter = Submitter(self.services, budget_seconds=submit_budget, clock=self.clock)
        announcements += self._step("submit", submitter.run, failures)
        overdue = self._step("overdue", lambda: outbox.overdue(self.services, now=self.clock()), failures)
        self._step("prune", lambda: self._prune(deadline), failures)
        if len(failures) == TICK_STEPS:
            raise failures[0]  # nothing worked (storage down?): fail the run visibly; nothing is lost by raising
        logger.info(
            "tick: %d messages to publish (%d overdue)",
            len(announcements) + len(overdue),
            len(overdue),
            extra=log_fields(
                "poll.tick",
                batch_size=len(announcements) + len(overdue),
                duration_ms=(time.monotonic() - started) * 1000,
            ),
        )
        return announcements + overdue

    def _prune(self, deadline: float) -> None:
        """Retention last, with what is left of the run (at most PRUNE_SECONDS_PER_TICK)."""
        Retention(self.services, self.clock).prune(min(deadline, time.monotonic() + PRUNE_SECONDS_PER_TICK))

    @staticmethod
    def _step(name: str, work: Callable[[], list[str] | None], failures: list[Exception]) -> list[str]:
        try:
            return work() or []
        except Exception as exc:
            logger.exception(
                "tick: the %s step failed; the other steps go on", name, extra=log_fields(f"poll.{name}_failed")
            )
            failures.append(exc)
            return []

    # ---- polling ------------------------------------------------------------------------------------------------

    def _poll_due_jobs(self, deadline: float) -> list[str]:
        now = self.clock()
        due = [job for job in self.services.ledger.active_jobs() if job.next_poll_at <= now]
        if not due:
            return []
        try:
            statuses = {status.id: status for status in self.services.translator.get_jobs([job.key for job in due])}
        except (TranslatorThrottled, TranslatorUnavailable) as exc:
            self._postpone(due, exc, now)
            return []
        announcements: list[str] = []
        failures: list[Exception] = []
        for done, job in enumerate(due):
            if time.monotonic() > deadline:
                logger.warning(
                    "poll budget spent; %d jobs wait for the next tick",
                    len(due) - done,
                    extra=log_fields("poll.budget_spent", batch_size=len(due) - done),
                )
                break
            try:
                announcements += self._advance(job, statuses.get(job.key), now)
            except TranslatorError as exc:
                logger.warning(
                    "job %s: not advanced this tick (%s)",
                    job.key,
                    exc,
                    extra=log_fields("job.not_advanced", job_id=job.key, error_code=exc.reason),
                )
            except Exception as exc:  # one job's storage trouble must not lose the other jobs' announcements
                logger.exception(
                    "job %s: not advanced this tick", job.key, extra=log_fields("job.not_advanced", job_id=job.key)
                )
                failures.append(exc)
        if failures and len(failures) == len(due) and not announcements:
            raise failures[0]  # nothing worked: fail the run visibly (nothing is lost by raising)
        return announcements

    def _postpone(self, jobs: list[JobRecord], exc: TranslatorError, now: datetime) -> None:
        """Throttled: honour Retry-After; without it the jobs are simply due again at the next tick."""
        logger.warning(
            "polling %d jobs postponed: %s",
            len(jobs),
            exc,
            extra=log_fields("poll.postponed", batch_size=len(jobs), error_code=exc.reason),
        )
        if exc.retry_after:
            for job in jobs:
                job.next_poll_at = now + timedelta(seconds=exc.retry_after)
                self.services.ledger.update(job)

    def _advance(self, job: JobRecord, status: JobStatus | None, now: datetime) -> list[str]:
        if status is None:  # absent from the multi-id answer: ask once more, directly
            try:
                status = self.services.translator.get_job(job.key)
            except JobNotFound:
                logger.error(
                    "job %s: the Translator no longer knows it",
                    job.key,
                    extra=log_fields("job.lost", job_id=job.key, error_code=Reason.JOB_NOT_FOUND),
                )
                return self._announce(
                    job, None, Problem(Reason.JOB_NOT_FOUND, "The Translator no longer knows this job.")
                )
        if status.is_terminal:
            return self._announce(job, status, None)
        if now - job.created_at > timedelta(hours=self.services.settings.max_job_hours):
            logger.error(
                "job %s: still %s after %s h; cancelling",
                job.key,
                status.status,
                self.services.settings.max_job_hours,
                extra=log_fields(
                    "job.timed_out",
                    job_id=job.key,
                    error_code=Reason.JOB_TIMED_OUT,
                    duration_ms=_ms(now - job.created_at),
                ),
            )
            try:
                self.services.translator.cancel_job(job.key)
            except TranslatorError as exc:
                logger.warning(
                    "job %s: cancel failed (%s)",
                    job.key,
                    exc,
                    extra=log_fields("job.cancel_failed", job_id=job.key, error_code=exc.reason),
                )
            message = f"The job did not finish within MAX_JOB_HOURS ({self.services.settings.max_job_hours:g} h)."
            return self._announce(job, status, Problem(Reason.JOB_TIMED_OUT, message))
        if _finished(status.summary) > _finished(job.summary):
            return self._announce_finished(job, status)
        if _finished(status.summary) < _finished(job.summary):
            return []  # a stale read (a cache answering with an older status): keep what was recorded
        if (status.status, status.summary) != (job.status, job.summary):  # unchanged jobs cost no Table write
            job.status, job.summary = status.status, status.summary
            self.services.ledger.update(job)
        return []

    def _announce_finished(self, job: JobRecord, status: JobStatus) -> list[str]:
        """While a job runs: announce each document whose every translation has ended, so no document waits for the
        rest of its batch. The job record (ETag-guarded) remembers them, so the job's end announces only the others."""
        members = self.services.ledger.members(job.batch_id)
        by_source = _documents_by_source(
            self.services.translator.list_documents(job.key, statuses=FINISHED_DOCUMENT_STATUSES),
            self.services.blobs.path_of,
        )
        announced = job.announced_keys(members)
        ready = [
            member
            for member in members
            if member.key not in announced and _all_finished(member, by_source.get((member.container, member.name)))
        ]
        now = self.clock()
        announcements = [self._announcement(job, member, by_source, None, now) for member in ready]
        announced = announce(self.services, ready, announcements, now=now)  # before the job counts them
        job.status, job.summary = status.status, status.summary
        job.mark_announced(members, {member.key for member in announced.documents})
        if not self.services.ledger.update(job):
            logger.info(
                "job %s: progress already recorded by another run",
                job.key,
                extra=log_fields("job.progress_raced", job_id=job.key),
            )
            return announced.to_request
        if announced.documents:
            logger.info(
                "job %s: %s, %d documents announced before the job's end",
                job.key,
                job.status,
                len(announced.documents),
                extra=log_fields(
                    "job.documents_announced",
                    job_id=job.key,
                    batch_size=len(announced.documents),
                    duration_ms=_ms(now - job.created_at),
                ),
            )
        return announced.to_request

    def _announce(self, job: JobRecord, status: JobStatus | None, job_error: Problem | None) -> list[str]:
        """Build one announcement per source document not announced yet; claim the job's announcement (insert-once)
        before returning them."""
        all_members = self.services.ledger.members(job.batch_id)
        announced = job.announced_keys(all_members)
        members = [member for member in all_members if member.key not in announced]
        documents: list[DocumentStatus] = []
        if status is not None and members:
            try:
                documents = self.services.translator.list_documents(job.key)
            except JobNotFound:
                documents = []
        own_reason_first = False  # the app's own job errors (timeout, lost job, existing output) say it all
        own_end = job_error is None and status is not None and status.status != "ValidationFailed"
        if job_error is None and status is not None and status.error is not None:
            job_error = status.error
            own_reason_first = status.status == "Failed"  # every document failed: the job's error is the first's
        now = self.clock()
        unblocked: list[BatchMember] = []
        if status is not None and status.error is not None and status.error.code == TARGET_EXISTS:
            members, unblocked = self._split_by_existing_targets(members)
            job_error = Problem(TARGET_EXISTS, _TARGET_EXISTS_MESSAGE)
        by_source = _documents_by_source(documents, self.services.blobs.path_of)
        if own_end and self._results_lag(job, status, members, by_source, now):
            return []
        announcements = [
            self._announcement(job, member, by_source, job_error, now, own_reason_first=own_reason_first)
            for member in members
        ]
        job.completed_at = now
        if status is not None:
            job.status, job.summary = status.status, status.summary
        requeue(self.services.ledger, unblocked, job.key)  # idempotent, so before the claim: a failure here retries
        announced = announce(self.services, members, announcements, now=now)  # before the job counts as announced
        if len(announced.documents) < len(members):
            self._announce_later(job, all_members, announced.documents)
            return announced.to_request
        charged = status.characters_charged if status is not None else None
        Spending(self.services, self.clock).settle(job, charged)  # before the job leaves the active ones
        index_job(self.services, job, now)  # indexed for retention before it counts as ended
        if not self.services.ledger.finish_job(job):
            logger.info(
                "job %s: already announced by another run",
                job.key,
                extra=log_fields("job.announce_raced", job_id=job.key),
            )
            return announced.to_request
        logger.info(
            "job %s: %s, %d documents announced",
            job.key,
            job.status,
            len(announcements),
            extra=log_fields(
                "job.announced",
                job_id=job.key,
                batch_size=len(announcements),
                outcome=job.status,
                duration_ms=_ms(now - job.created_at),
                characters=charged,
            ),
        )
        return announced.to_request

    def _results_lag(
        self,
        job: JobRecord,
        status: JobStatus,
        members: list[BatchMember],
        by_source: dict[tuple[str, str], dict[str, DocumentStatus]],
        now: datetime,
    ) -> bool:
        """Whether the job reads as ended but its document list does not yet show every member's results (a stale
        read): then it is polled again soon instead of announcing documents as missing, within STALE_READ_GRACE."""
        lagging = [m for m in members if not _all_finished(m, by_source.get((m.container, m.name)))]
        if not lagging:
            return False
        job.ended_seen_at = job.ended_seen_at or now
        if now - job.ended_seen_at >= STALE_READ_GRACE:
            return False
        logger.info(
            "job %s: %s, but %d documents show no result yet; polling again",
            job.key,
            status.status,
            len(lagging),
            extra=log_fields("job.results_lag", job_id=job.key, batch_size=len(lagging)),
        )
        job.next_poll_at = now + STALE_READ_RETRY
        self.services.ledger.update(job)
        return True

    def _announce_later(self, job: JobRecord, all_members: list[BatchMember], done: list[BatchMember]) -> None:
        """The job ended but the outbox refused some of its messages: the others count as announced (the job's
        bitmap), the job stays active and is polled again after UNRECORDED_RETRY for the rest."""
        job.mark_announced(all_members, {member.key for member in done})
        job.completed_at, job.next_poll_at = None, self.clock() + UNRECORDED_RETRY
        self.services.ledger.update(job)

    def _announcement(
        self,
        job: JobRecord,
        member: BatchMember,
        by_source: dict[tuple[str, str], dict[str, DocumentStatus]],
        job_error: Problem | None,
        now: datetime,
        *,
        own_reason_first: bool = False,
    ) -> Announcement:
        settings = self.services.settings
        results = by_source.get((member.container, member.name), {})
        targets = []
        for language in member.languages:
            output = BlobPath(settings.target_container, f"{language}/{member.name}")
            if language in member.refused_languages:  # never submitted: the Translator refused it earlier
                status, error, characters = (
                    "Failed",
                    refused_target_language(language, settings.origin_of_language(language)),
                    0,
                )
            else:
                status, error, characters = _target_status(results.get(language.lower()), job_error)
            targets.append(
                TargetResult(
                    language,
                    status,
                    output.container,
                    output.name,
                    self.services.blobs.url(output),
                    characters,
                    error,
                )
            )
        outcome = outcome_of([target.status for target in targets])
        error = None
        if outcome is not Outcome.SUCCEEDED:
            own = next((target.error for target in targets if target.error), None)
            error = (own or job_error) if own_reason_first else (job_error or own)
        return Announcement(
            outcome=outcome,
            source=source_info(self.services, member),
            event_source=self.services.event_source,
            received_at=member.received_at,
            completed_at=now,
            job_id=job.key,
            submitted_at=job.created_at,
            targets=tuple(targets),
            error=error,
        )

    def _split_by_existing_targets(self, members: list[BatchMember]) -> tuple[list[BatchMember], list[BatchMember]]:
        """After TargetFileAlreadyExists failed a whole job: (members blocked by an existing output, the others)."""
        blobs, container = self.services.blobs, self.services.settings.target_container

        def blocked(member: BatchMember) -> bool:
            return any(blobs.exists(BlobPath(container, f"{language}/{member.name}")) for language in member.languages)

        with ThreadPoolExecutor(self.services.storage_threads) as pool:
            flags = list(pool.map(blocked, members))
        return (
            [member for member, flag in zip(members, flags, strict=True) if flag],
            [member for member, flag in zip(members, flags, strict=True) if not flag],
        )


def _ms(elapsed: timedelta) -> float:
    return elapsed.total_seconds() * 1000


def _finished(summary: dict[str, int] | None) -> int:
    """Translations of a job that have ended, from its summary."""
    return sum((summary or {}).get(key, 0) for key in ("success", "failed", "cancelled"))


def _all_finished(member: BatchMember, results: dict[str, DocumentStatus] | None) -> bool:
    return bool(results) and all(
        language.lower() in results and results[language.lower()].status in FINISHED_DOCUMENT_STATUSES
        for language in member.wanted_languages
    )


def _documents_by_source(
    documents: list[DocumentStatus], path_of: Callable[[str], BlobPath | None]
) -> dict[tuple[str, str], dict[str, DocumentStatus]]:
    grouped: defaultdict[tuple[str, str], dict[str, DocumentStatus]] = defaultdict(dict)
    for document in documents:
        path = path_of(document.source_url)
        if path is not None:
            grouped[(path.container, path.name)][document.language.lower()] = document
    return grouped


def _target_status(document: DocumentStatus | None, job_error: Problem | None) -> tuple[str, Problem | None, int]:
    """A target's final status: the service's when it finished, else Failed with the job's error."""
    if document is not None and document.status in FINISHED_DOCUMENT_STATUSES:
        if document.status == "Cancelled" and job_error is not None:
            return "Failed", job_error, document.characters  # cancelled by us on timeout
        error = document.error
        if document.status == "Succeeded":
            error = None
        return document.status, error, document.characters
    fallback = job_error or Problem(Reason.DOCUMENT_NOT_TRANSLATED, "The job ended without a result for this document.")
    return "Failed", fallback, document.characters if document else 0
