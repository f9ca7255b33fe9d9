"""Jobs and document statuses: the records behind every status route, and the store that holds them."""

from __future__ import annotations

import secrets
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from devstack.emulator.blobs import BlobLocation
from devstack.emulator.errors import ErrorDetail
from devstack.emulator.glossaries import Glossary

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from devstack.emulator.journal import JobJournal


class Status(StrEnum):
    NOT_STARTED = "NotStarted"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELLED = "Cancelled"
    CANCELLING = "Cancelling"
    VALIDATION_FAILED = "ValidationFailed"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({Status.SUCCEEDED, Status.FAILED, Status.CANCELLED, Status.VALIDATION_FAILED})


def utc_now() -> datetime:
    return datetime.now(UTC)


def wire_time(moment: datetime) -> str:
    """Fractional seconds with trailing zeros trimmed, as the service writes them (`02:20:02.699685Z`)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".") + "Z"


@dataclass(frozen=True)
class GlossaryRef:
    location: BlobLocation
    file_format: str


@dataclass(frozen=True)
class TargetSpec:
    """One target of one input: where outputs go, in which language, with which glossaries."""

    location: BlobLocation
    language: str
    glossaries: tuple[GlossaryRef, ...] = ()
    deployment_name: str | None = None  # 2026-03-01: a custom model's deployment, echoed on the document statuses


@dataclass
class DocumentRecord:
    """One source document translated into one target language (one DocumentStatus)."""

    id: str
    source: BlobLocation
    target: BlobLocation
    language: str
    created: datetime
    status: Status = Status.NOT_STARTED
    last_action: datetime = field(default_factory=utc_now)
    progress: float = 0.0
    characters_charged: int = 0
    error: ErrorDetail | None = None
    deployment_name: str | None = None

    def to_wire(self, api_version: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "path": self.target.public_url,  # a failed document has none (recorded: test_empty_document)
            "sourcePath": self.source.public_url,
            "createdDateTimeUtc": wire_time(self.created),
            "lastActionDateTimeUtc": wire_time(self.last_action),
            "status": self.status.value,
            "to": self.language,
            "progress": int(self.progress) if float(self.progress).is_integer() else self.progress,
            "id": self.id,
            "characterCharged": self.characters_charged,
        }
        if self.status is Status.FAILED:
            del body["path"]
        if self.error:
            body["error"] = self.error.to_wire()
        if api_version >= "2026-03-01":  # the image counters are always 0: no text is read out of images
            body.update(totalImageScansSucceeded=0, totalImageScansFailed=0, imageCharged=0, imageCharacterDetected=0)
            if self.deployment_name:
                body["deploymentName"] = self.deployment_name
        return body


@dataclass(frozen=True)
class SourceDocument:
    """One source blob with the statuses of its translations, processed together so it is read once."""

    location: BlobLocation
    size: int
    source_language: str | None
    translations: tuple[tuple[DocumentRecord, TargetSpec], ...]


@dataclass
class Job:
    id: str
    created: datetime
    status: Status = Status.NOT_STARTED
    last_action: datetime = field(default_factory=utc_now)
    error: ErrorDetail | None = None
    sources: list[SourceDocument] = field(default_factory=list)
    documents: list[DocumentRecord] = field(default_factory=list)
    glossary_cache: dict[str, Glossary] = field(default_factory=dict)

    def set_sources(self, sources: list[SourceDocument]) -> None:
        self.sources = sources
        self.documents = [record for source in sources for record, _ in source.translations]

    @property
    def reported_documents(self) -> list[DocumentRecord]:
        """The documents the status routes show: none once the job failed validation (every count 0, no document
        listed, as test_bad_input_source / test_bad_input_target record)."""
        return [] if self.status is Status.VALIDATION_FAILED else self.documents

    def summary(self, api_version: str, *, counted: bool = True) -> dict[str, int]:
        """The counts; all 0 while the job has not started (the service shows its counts only once it runs, as
        test_cancel_translation.pyTestCancelTranslationtest_cancel_translation.json records), or when not `counted`."""
        counted = counted and self.status is not Status.NOT_STARTED
        documents = self.reported_documents
        counts = Counter(doc.status for doc in documents) if counted else Counter()
        body = {
            "total": sum(counts.values()),
            "failed": counts[Status.FAILED],
            "success": counts[Status.SUCCEEDED],
            "inProgress": counts[Status.RUNNING],
            "notYetStarted": counts[Status.NOT_STARTED],
            "cancelled": counts[Status.CANCELLED],
            "totalCharacterCharged": sum(doc.characters_charged for doc in documents) if counted else 0,
        }
        if api_version >= "2026-03-01":
            body.update(totalImageScansSucceeded=0, totalImageScansFailed=0, totalImageCharged=0)
        return body

    def to_wire(self, api_version: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "createdDateTimeUtc": wire_time(self.created),
            "lastActionDateTimeUtc": wire_time(self.last_action),
            "status": self.status.value,
            "summary": self.summary(api_version),
        }
        if self.error:
            body["error"] = self.error.to_wire()
        return body

    def cancelling_wire(self, api_version: str) -> dict[str, Any]:
        """The answer to cancelling a job that had not started: `Cancelling` with every count 0, as recorded; the
        job itself then ends `Cancelled` with its counts."""
        body: dict[str, Any] = {
            "id": self.id,
            "createdDateTimeUtc": wire_time(self.created),
            "lastActionDateTimeUtc": wire_time(self.last_action),
            "status": Status.CANCELLING.value,
            "summary": self.summary(api_version, counted=False),
        }
        if self.error:
            body["error"] = self.error.to_wire()
        return body


def new_id() -> str:
    return str(uuid.uuid4())


def new_document_id(taken: set[str]) -> str:
    """A document id shaped as the service's (`010a09e5-0000-0000-0000-000000000000`), unique within its job."""
    while (candidate := f"{secrets.randbits(32):08x}-0000-0000-0000-000000000000") in taken:
        pass
    taken.add(candidate)
    return candidate


class JobStore:
    """Thread-safe job table; every mutation of a job or its documents happens under its lock and, with a journal
    (`--state-dir`), is written there before the lock is released."""

    def __init__(self, journal: JobJournal | None = None, *, on_change: Callable[[Job], None] | None = None) -> None:
        self.lock = threading.RLock()
        self._journal = journal
        self._on_change = on_change
        self._jobs: dict[str, Job] = {job.id: job for job in journal.load()} if journal else {}

    def add(self, job: Job) -> None:
        with self.lock:
            self._jobs[job.id] = job
            if self._journal:
                self._journal.add(job)
            if self._on_change:
                self._on_change(job)

    def persist(self, job: Job, records: Iterable[DocumentRecord] = ()) -> None:
        """Record a change to `job` and to `records` (call under the lock, after changing them)."""
        if self._journal:
            self._journal.save(job, records)
        if self._on_change:
            self._on_change(job)

    def close(self) -> None:
        if self._journal:
            self._journal.close()

    def get(self, job_id: str) -> Job | None:
        with self.lock:
            return self._jobs.get(job_id.lower())

    def all(self) -> list[Job]:
        with self.lock:
            return list(self._jobs.values())
