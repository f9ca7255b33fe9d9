"""Turn waiting documents into Document Translation jobs: claim, check, build one batch request, POST, record.

One submitter at a time holds a short Table lease, so documents that arrive while a batch is being posted are picked
up together by the next batch instead of each becoming its own job. Claims are ETag-guarded besides, so even a
submitter whose lease ran out never claims a document another submitter took.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.announcements import announce, finish_unsubmitted, source_info
from shared.batch_request import BatchRequest
from shared.batches import Batches, inbox_key
from shared.errors import (
    SettingError,
    SubmissionUncertain,
    TranslatorAuthFailed,
    TranslatorError,
    TranslatorThrottled,
    TranslatorUnavailable,
)
from shared.logfields import log_fields
from shared.messages import Announcement, Outcome
from shared.problems import Problem, Reason, refused_target_language
from shared.records import (
    BatchMember,
    BatchRecord,
    DocumentRecord,
    DocumentState,
    InboxEntry,
    utc_now,
)
from shared.reuse import ContentIndex, Earlier, Plan
from shared.services import Services
from shared.settings import TRANSLATOR_KEY
from shared.spending import DayBudget, Spending
from shared.storage import BlobPath
from shared.translator import time_budget

logger = logging.getLogger(__name__)

LEASE_SECONDS = 120.0
MAX_VERSION_HOPS = 5


@dataclass
class Submitter:
    services: Services
    budget_seconds: float = 240.0
    clock: Callable[[], datetime] = utc_now
    holder: str = field(default_factory=lambda: uuid.uuid4().hex)
    _superseded: dict[str, DocumentRecord] = field(default_factory=dict)  # found while selecting, ended by run()
    _reusable: list[tuple[InboxEntry, Earlier]] = field(default_factory=list)  # found while selecting, copied next
    _request: BatchRequest | None = None  # the next batch's request: its glossary versions are those selected with
    _contents: ContentIndex | None = None  # this run's view of the content records
    _keys: dict[str, str] = field(default_factory=dict)  # the selection pass's reuse keys, by version key
    _budget: DayBudget | None = None  # what is left of today's MAX_CHARACTERS_PER_DAY, as this pass sees it
    _over_cap: list[tuple[InboxEntry, Problem]] = field(default_factory=list)  # never fit a day: rejected next

    @property
    def _batches(self) -> Batches:
        return Batches(self.services, self.clock)

    def run(self) -> list[str]:
        """Submit everything claimable within `budget_seconds` (Translator retries included); returns the completion
        messages of documents that ended on the way."""
        with time_budget(self.budget_seconds):
            return self._submit_all() + self._end_superseded()

    def _submit_all(self) -> list[str]:
        ledger = self.services.ledger
        announcements: list[str] = []
        if not any(entry.is_claimable(self.clock()) for entry in ledger.inbox()):
            return announcements  # nothing to do: an idle tick or trigger costs one query, not the lease's four writes
        deadline = time.monotonic() + self.budget_seconds
        while time.monotonic() < deadline:
            if not self.services.submitting.acquire(blocking=False):
                return announcements  # a submitter of this process drains, and re-checks the inbox when it stops
            try:
                if not ledger.acquire_lease(self.holder, now=self.clock(), duration=timedelta(seconds=LEASE_SECONDS)):
                    return announcements  # the lease holder re-checks the inbox before it lets go
                try:
                    stopped = self._drain(announcements, deadline)
                finally:
                    ledger.release_lease(self.holder)
            finally:
                self.services.submitting.release()
            if stopped or not (self._next_candidates() or self._reusable):
                return announcements
        return announcements

    def _end_superseded(self) -> list[str]:
        """Earlier versions recorded without an inbox entry (their intake died in between) whose blob has been
        replaced since: no redelivered event can reach them any more, so they end here, rejected as replaced."""
        superseded = [(record, SOURCE_REPLACED) for record in self._superseded.values()]
        self._superseded.clear()
        if not superseded:
            return []
        return finish_unsubmitted(self.services, superseded, Outcome.REJECTED, now=self.clock()).to_request

    def _next_candidates(self) -> list[InboxEntry]:
        """The oldest claimable entries that fit one batch."""
        now = self.clock()
        self._request, self._reusable, self._over_cap = BatchRequest(self.services), [], []
        self._budget = Spending(self.services, self.clock).today()
        claimable = sorted(
            (entry for entry in self.services.ledger.inbox() if entry.is_claimable(now)),
            key=lambda entry: entry.received_at,
        )
        self._keys = self._reuse_keys(claimable)
        return self._select(claimable)

    def _drain(self, announcements: list[str], deadline: float) -> bool:
        """Post batches until the inbox is empty (False) or the Translator pushes back (True)."""
        while time.monotonic() < deadline:
            candidates = self._next_candidates()
            announcements += self._end_superseded()  # before the later version's batch: a crash there finds them again
            announcements += self._copy_reusable()
            announcements += self._hold_over_budget()
            if not candidates:
                return False
            batch_id = uuid.uuid4().hex
            claimed = self._batches.claim(candidates, batch_id)
            if not claimed:
                continue
            self.services.ledger.acquire_lease(self.holder, now=self.clock(), duration=timedelta(seconds=LEASE_SECONDS))
            outcome = self._submit(batch_id, claimed)
            announcements += outcome.announcements
            if outcome.stop:
                return True
        return False

    def _select(self, entries: list[InboxEntry]) -> list[InboxEntry]:
        """Entries that fit the batch limits, one version per blob name, none whose name is still being translated."""
        settings = self.services.settings
        chosen: list[InboxEntry] = []
        names: set[tuple[str, str]] = set()  # names taken or deferred: later versions wait for the next batch
        total = 0
        for entry in entries:
            if len(chosen) >= settings.max_batch_documents:
                break
            name = (entry.container, entry.name)
            if name in names or (chosen and total + entry.bytes > settings.max_batch_bytes):
                continue
            names.add(name)
            if self._earlier_version_in_a_job(entry):
                logger.info(
                    "document %s: waits until the job of its previous version ends",
                    BlobPath(*name),
                    extra=log_fields("document.waits_for_previous_version", document=BlobPath(*name)),
                )
                continue
            if not self._translate(entry) or not self._within_budget(entry):
                continue
            chosen.append(entry)
            total += entry.bytes
        return chosen

    @property
    def _content_index(self) -> ContentIndex:
        if self._contents is None:
            self._contents = ContentIndex(self.services, self.clock)
        return self._contents

    def _reuse_keys(self, entries: list[InboxEntry]) -> dict[str, str]:
        """The reuse keys of the claimable entries (with this pass's glossary versions); their records read at once."""
        request, index = self._request or BatchRequest(self.services), self._content_index
        keys = {
            entry.key: key
            for entry in entries
            if entry.content_hash and (key := index.key_of(entry, request.glossary_versions(entry))) is not None
        }
        index.new_pass(keys)
        return keys

    def _translate(self, entry: InboxEntry) -> bool:
        """Whether this entry goes into a job: not when identical content is being translated (it waits) or was
        translated (its outputs are copied instead, after selection)."""
        decision = self._content_index.decide(entry, self._keys.get(entry.key))
        if decision.plan is Plan.REUSE and decision.earlier is not None:
            self._reusable.append((entry, decision.earlier))
        if decision.plan is Plan.WAIT:
            logger.info(
                "document %s: waits for the translation of identical content",
                BlobPath(entry.container, entry.name),
                extra=log_fields(
                    "document.waits_for_identical_content", document=BlobPath(entry.container, entry.name)
                ),
            )
        return decision.plan is Plan.TRANSLATE

    def _within_budget(self, entry: InboxEntry) -> bool:
        """Whether an entry to translate fits what is left of today's cap (no cap: always)."""
        if self._budget is None:
            return True
        problem = Spending(self.services, self.clock).over_cap(entry)
        if problem is not None:
            self._over_cap.append((entry, problem))
            return False
        return self._budget.take(entry)

    def _hold_over_budget(self) -> list[str]:
        """Entries that do not fit today wait for the next UTC day; those no day can hold are rejected."""
        announcements: list[str] = []
        if self._budget is not None:
            announcements += Spending(self.services, self.clock).defer(self._budget)
        if self._over_cap:
            ended = finish_unsubmitted(self.services, self._over_cap, Outcome.REJECTED, now=self.clock())
            self.services.ledger.delete_all(ended.documents)
            self._over_cap = []
            announcements += ended.to_request
        return announcements

    def _copy_reusable(self) -> list[str]:
        """Versions whose content was translated before: its outputs are copied, and they are announced as reused."""
        ledger, reusable = self.services.ledger, self._reusable
        self._reusable = []
        done: list[InboxEntry] = []
        announced: list[InboxEntry] = []
        announcements: list[Announcement] = []
        for entry, earlier in reusable:
            own = ledger.document(entry.key)
            if own is not None and own.state is not DocumentState.RECEIVED:
                done.append(entry)  # announced before a crash kept its inbox entry: nothing left to do
                continue
            reused = self._content_index.copy_outputs(entry, earlier)
            if reused is None:
                continue  # its content record now names it: the next batch translates it
            self._remove_outputs_of_languages_dropped(entry)
            announced.append(entry)
            announcements.append(
                Announcement(
                    outcome=Outcome.SUCCEEDED,
                    source=source_info(self.services, entry),
                    event_source=self.services.event_source,
                    received_at=entry.received_at,
                    completed_at=self.clock(),
                    targets=reused.targets,
                    reused_from=reused.reused_from,
                )
            )
            logger.info(
                "document %s: identical to %s/%s, translated in job %s; its outputs copied",
                BlobPath(entry.container, entry.name),
                reused.reused_from.container,
                reused.reused_from.name,
                reused.reused_from.job_id,
                extra=log_fields("document.reused", document=BlobPath(entry.container, entry.name)),
            )
        if not announced:
            ledger.delete_all(done)
            return []
        result = announce(self.services, announced, announcements, now=self.clock())
        keys = {document.key for document in result.documents}
        ledger.delete_all([*done, *(entry for entry in announced if entry.key in keys)])
        return result.to_request

    def _remove_outputs_of_languages_dropped(self, entry: InboxEntry) -> None:
        """A re-uploaded name reusing a translation in fewer languages than before keeps none of the old ones."""
        dropped = self._replaced_languages(entry.replaces) - set(entry.languages) if entry.replaces else set()
        for language in sorted(dropped):
            self.services.blobs.delete(BlobPath(self.services.settings.target_container, f"{language}/{entry.name}"))

    def _earlier_version_in_a_job(self, entry: InboxEntry) -> bool:
        """Whether an earlier version of this name is in an unfinished job: both would write the same outputs."""
        for earlier in self._earlier_versions(entry.replaces):
            if earlier.state is DocumentState.COMPLETED:
                return False
            if earlier.state is DocumentState.SUBMITTED:
                return True
            if earlier.state is DocumentState.RECEIVED and self.services.ledger.get(InboxEntry, earlier.key) is None:
                self._superseded[earlier.key] = earlier
        return False  # received or rejected versions only: nothing of this name is being translated

    def _earlier_versions(self, key: str | None) -> Iterator[DocumentRecord]:
        """The recorded earlier versions of a name, newest first, at most MAX_VERSION_HOPS of them."""
        for _ in range(MAX_VERSION_HOPS):
            earlier = self.services.ledger.document(key) if key else None
            if earlier is None:
                return
            yield earlier
            key = earlier.replaces

    # ---- one batch ----------------------------------------------------------------------------------------------

    def _submit(self, batch_id: str, entries: list[InboxEntry]) -> _BatchOutcome:
        now, batches = self.clock(), self._batches
        batch, members = batches.open(batch_id, entries)
        members, announcements = self._drop_changed_sources(batch, members)
        if not members:
            batches.discard(batch)
            return _BatchOutcome(announcements)
        self._remove_stale_outputs(members)
        body = (self._request or BatchRequest(self.services)).build(members)
        if not batches.posting(batch):
            logger.warning(
                "batch %s: taken over while being prepared; leaving it to its new owner",
                batch_id,
                extra=log_fields("batch.taken_over", batch_id=batch_id),
            )
            return _BatchOutcome(announcements, stop=True)
        try:
            job_id = self.services.translator.begin_batch(body)
        except (TranslatorThrottled, TranslatorUnavailable) as exc:
            logger.warning(
                "batch %s: the Translator pushed back (%s); %d documents wait",
                batch_id,
                exc,
                len(members),
                extra=log_fields("batch.throttled", batch_id=batch_id, batch_size=len(members), error_code=exc.reason),
            )
            batches.release(batch, members, retry_after=exc.retry_after)
            return _BatchOutcome(announcements, stop=True)
        except SubmissionUncertain as exc:
            logger.warning(
                "batch %s: submission uncertain (%s); the poller will look for the job",
                batch_id,
                exc,
                extra=log_fields("batch.uncertain", batch_id=batch_id, batch_size=len(members), error_code=exc.reason),
            )
            batches.uncertain(batch)
            return _BatchOutcome(announcements, stop=True)
        except TranslatorAuthFailed as exc:
            batches.release(batch, members, retry_after=60.0)
            raise SettingError(
                TRANSLATOR_KEY,
                f"the Translator refused the credentials ({exc.reason}); check TRANSLATOR_KEY and TRANSLATOR_REGION, "
                "or the identity's 'Cognitive Services User' role when no key is set",
            ) from exc
        except TranslatorError as exc:
            return _BatchOutcome(announcements + self._refused(batch, members, exc))
        logger.info(
            "batch %s: job %s created for %d documents",
            batch_id,
            job_id,
            len(members),
            extra=log_fields(
                "batch.submitted",
                batch_id=batch_id,
                job_id=job_id,
                batch_size=len(members),
                duration_ms=(self.clock() - now).total_seconds() * 1000,
            ),
        )
        batches.record(batch, job_id, members)
        return _BatchOutcome(announcements)

    def _drop_changed_sources(
        self, batch: BatchRecord, members: list[BatchMember]
    ) -> tuple[list[BatchMember], list[str]]:
        """Members whose blob still has the recorded ETag; the others are rejected (deleted or replaced)."""
        paths = [BlobPath(member.container, member.name) for member in members]
        etags = self.services.blobs.etags(paths)
        problems = [_source_problem(member, etags[path]) for member, path in zip(members, paths, strict=True)]
        keep = [member for member, problem in zip(members, problems, strict=True) if problem is None]
        dropped = [(member, problem) for member, problem in zip(members, problems, strict=True) if problem]
        if not dropped:
            return keep, []
        announced = finish_unsubmitted(self.services, dropped, Outcome.REJECTED, now=self.clock())
        self.services.ledger.delete_all(announced.documents)  # the others' claims run out: they come round again
        self.services.ledger.delete_all(inbox_key(member) for member in announced.documents)
        return keep, announced.to_request

    def _remove_stale_outputs(self, members: list[BatchMember]) -> None:
        """Delete the outputs of earlier versions of re-uploaded names, in their languages and the new ones: the
        service must never meet an existing target, and a version in other languages leaves none of the old ones."""
        settings = self.services.settings
        outputs = [
            BlobPath(settings.target_container, f"{language}/{member.name}")
            for member in members
            if member.replaces
            for language in sorted(set(member.languages) | self._replaced_languages(member.replaces))
        ]
        with ThreadPoolExecutor(self.services.storage_threads) as pool:
            list(pool.map(self.services.blobs.delete, outputs))

    def _replaced_languages(self, key: str | None) -> set[str]:
        """The languages earlier versions of a name were translated into, back to the last one that was translated
        (whose own submission cleared the outputs of those before it)."""
        languages: set[str] = set()
        for earlier in self._earlier_versions(key):
            languages.update(earlier.languages)
            if earlier.state is DocumentState.COMPLETED:
                break
        return languages

    def _refused(self, batch: BatchRecord, members: list[BatchMember], exc: TranslatorError) -> list[str]:
        """The service refused the request: fail the one input it names (others go back to the inbox), or all. A
        language it refuses fails every document of the batch that asks for it at once: it comes from a setting (or
        the same metadata), so re-posting the others one refusal at a time would cost one POST per document."""
        index = exc.input_index
        error = Problem(exc.reason, exc.message)
        refused_language = _refused_language(members, exc)
        if refused_language is not None:
            failed, error = self._fail_language(batch, members, exc, refused_language)
        elif index is not None and index < len(members):
            culprit = members[index]
            others = [member for member in members if member is not culprit]
            logger.warning(
                "batch %s: the service refused %s (%s); resubmitting the others",
                batch.key,
                culprit.name,
                exc,
                extra=log_fields(
                    "batch.document_refused",
                    batch_id=batch.key,
                    document=BlobPath(culprit.container, culprit.name),
                    error_code=exc.reason,
                ),
            )
            self._batches.release(batch, others, retry_after=None, count_attempt=False)
            failed = [culprit]
        else:
            logger.error(
                "batch %s: the service refused the batch (%s); %d documents fail",
                batch.key,
                exc,
                len(members),
                extra=log_fields("batch.refused", batch_id=batch.key, batch_size=len(members), error_code=exc.reason),
            )
            failed = members
        announced = finish_unsubmitted(
            self.services, [(member, error) for member in failed], Outcome.FAILED, now=self.clock()
        )
        self.services.ledger.delete_all(inbox_key(member) for member in announced.documents)
        self.services.ledger.delete_all(announced.documents)
        if len(failed) == len(members):  # else releasing the others removed the batch
            self._batches.discard(batch)
        return announced.to_request

    def _fail_language(
        self, batch: BatchRecord, members: list[BatchMember], exc: TranslatorError, refused: _RefusedLanguage
    ) -> tuple[list[BatchMember], Problem]:
        """A refused target language fails that language only: the documents asking for it go back to the inbox
        without it (it is announced Failed with the rest of their result), and those asking for nothing else fail. A
        refused source language fails every document that has it. The others go back to the inbox as they were."""
        askers = [member for member in members if refused.asked_by(member)]
        failed = askers if refused.is_source else [m for m in askers if m.wanted_languages == (refused.code,)]
        back = [member for member in members if member not in failed]
        origin = self.services.settings.origin_of_language(refused.code, is_source=refused.is_source)
        logger.error(
            "batch %s: the Translator refused the %s language '%s' (%s), which comes from %s; %d documents fail, "
            "%d go back to the inbox (%d without that language)",
            batch.key,
            "source" if refused.is_source else "target",
            refused.code,
            exc,
            origin,
            len(failed),
            len(back),
            len(askers) - len(failed),
            extra=log_fields(
                "batch.language_refused", batch_id=batch.key, batch_size=len(failed), error_code=exc.reason
            ),
        )
        if back:
            self._batches.release(
                batch, back, retry_after=None, count_attempt=False, refuse=None if refused.is_source else refused.code
            )
        if refused.is_source:
            message = (
                f"The Translator refused the source language '{refused.code}' ({exc.message}). It comes from "
                f"{origin}: correct it, then upload the document again."
            )
            return failed, Problem(exc.reason, message)
        return failed, refused_target_language(refused.code, origin, exc.message)


@dataclass(frozen=True)
class _RefusedLanguage:
    code: str
    is_source: bool

    def asked_by(self, member: BatchMember) -> bool:
        if self.is_source:
            return (member.source_language or "").lower() == self.code.lower()
        return self.code.lower() in (language.lower() for language in member.wanted_languages)


def _refused_language(members: list[BatchMember], exc: TranslatorError) -> _RefusedLanguage | None:
    """The language a refusal is about: named by its target (`inputs[2].targets[1].language`,
    `inputs[0].source.language`), or by a code error whose message quotes one of the input's languages."""
    index, target = exc.input_index, exc.target_index
    if index is None or index >= len(members) or not exc.about_language:
        return None
    culprit = members[index]
    if exc.about_source and culprit.source_language:
        return _RefusedLanguage(culprit.source_language, is_source=True)
    wanted = culprit.wanted_languages  # as submitted: the target index counts these
    if target is not None and target < len(wanted):
        return _RefusedLanguage(wanted[target], is_source=False)
    quoted = [code for code in wanted if f"'{code.lower()}'" in exc.message.lower()]
    return _RefusedLanguage(quoted[0], is_source=False) if len(quoted) == 1 else None


@dataclass
class _BatchOutcome:
    announcements: list[str]  # completion messages to request
    stop: bool = False


SOURCE_REPLACED = Problem(
    Reason.SOURCE_REPLACED,
    "A newer version of the blob was uploaded before this one was submitted; the newer version is translated instead.",
)


def _source_problem(member: BatchMember, etag: str | None) -> Problem | None:
    if etag is None:
        return Problem(Reason.SOURCE_DELETED, "The blob was deleted before it could be submitted for translation.")
    if etag != member.source_etag:
        return SOURCE_REPLACED
    return None
