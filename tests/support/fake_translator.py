"""An in-process Document Translation service for the crash explorer: the `TranslatorClient` interface the app calls,
on a `MemoryBlobStore`, deterministic (a job moves one step per status read, never by wall-clock time).

It keeps what the service keeps across the app's crashes (jobs, their documents, the blobs it wrote) and answers as
the emulator does: a job starts NotStarted; its first status read starts it (or fails it ValidationFailed with
TargetFileAlreadyExists when an output exists); the next one finishes it, writing every output. The contract test in
tests/integration/test_fake_translator.py holds it and the emulator (through the real client) to the same answers.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.errors import JobNotFound, SubmissionUncertain, TranslatorThrottled
from shared.memory_blobs import MemoryBlobStore
from shared.problems import Problem
from shared.translator import DocumentInput, DocumentStatus, JobStatus

EXTENSIONS = frozenset({".txt", ".html", ".htm", ".md", ".docx", ".xlsx", ".pptx", ".pdf", ".tsv", ".csv"})


@dataclass
class _Document:
    id: str
    source_url: str
    target_url: str
    language: str
    source_etag: str | None  # the source's version when the job was created (what the explorer counts jobs of)
    status: str = "NotStarted"
    characters: int = 0
    error: Problem | None = None


@dataclass
class _Job:
    id: str
    created: datetime
    documents: list[_Document]
    status: str = "NotStarted"
    error: Problem | None = None
    reads: int = 0

    def summary(self) -> dict[str, int]:
        counts = {"total": len(self.documents), "success": 0, "failed": 0, "inProgress": 0, "notYetStarted": 0}
        counts["cancelled"] = 0
        key = {"Succeeded": "success", "Failed": "failed", "Cancelled": "cancelled", "Running": "inProgress"}
        for document in self.documents:
            counts[key.get(document.status, "notYetStarted")] += 1
        counts["totalCharacterCharged"] = sum(document.characters for document in self.documents)
        return counts


@dataclass
class FakeTranslator:
    blobs: MemoryBlobStore
    clock: Any  # () -> datetime: the service's clock (the explorer's, which recovery ticks shift)
    throttle_posts: int = 0  # the next N POSTs answer 429
    uncertain_posts: list[bool] = field(default_factory=list)  # next POSTs time out; True: the job was created anyway
    stall: bool = False  # jobs never finish (to time out)
    jobs: dict[str, _Job] = field(default_factory=dict)
    posts: int = 0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def begin_batch(self, inputs: Sequence[DocumentInput]) -> str:
        self.posts += 1
        if self.throttle_posts:
            self.throttle_posts -= 1
            raise TranslatorThrottled("Too many requests", status=429, code="TooManyRequests", retry_after=30.0)
        if self.uncertain_posts:
            created = self.uncertain_posts.pop(0)
            if created:
                self._create(inputs)
            raise SubmissionUncertain("the response never arrived (read timeout)")
        return self._create(inputs)

    def get_job(self, job_id: str) -> JobStatus:
        job = self.jobs.get(job_id)
        if job is None:
            raise JobNotFound("job not found", status=404, code="NotFound")
        self._advance(job)
        return self._status(job)

    def get_jobs(self, job_ids: list[str]) -> list[JobStatus]:
        return [self.get_job(job_id) for job_id in job_ids if job_id in self.jobs]

    def list_jobs_created_since(self, since: datetime) -> list[JobStatus]:
        return [self._status(job) for job in self.jobs.values() if job.created >= since]

    def list_documents(self, job_id: str, *, statuses: tuple[str, ...] = ()) -> list[DocumentStatus]:
        job = self.jobs.get(job_id)
        if job is None:
            raise JobNotFound("job not found", status=404, code="NotFound")
        return [
            DocumentStatus(
                id=document.id,
                status=document.status,
                language=document.language,
                source_url=document.source_url,
                target_url=document.target_url if document.status == "Succeeded" else None,
                characters=document.characters,
                error=document.error,
            )
            for document in job.documents
            if not statuses or document.status in statuses
        ]

    def cancel_job(self, job_id: str) -> None:
        job = self.jobs.get(job_id)
        if job is None:
            raise JobNotFound("job not found", status=404, code="NotFound")
        if job.status in ("Succeeded", "Failed", "Cancelled", "ValidationFailed"):
            return  # as the service: 200, the job unchanged
        job.status = "Cancelled"
        for document in job.documents:
            if document.status in ("NotStarted", "Running"):
                document.status = "Cancelled"

    def supported_extensions(self) -> frozenset[str]:
        return EXTENSIONS

    # ---- the service's side -------------------------------------------------------------------------------------

    def jobs_per_version(self) -> dict[tuple[str, str | None], set[str]]:
        """(source name, version) -> the jobs that translated it. A job that failed validation translated nothing
        (its documents may rightly go into another job), so it does not count."""
        found: dict[tuple[str, str | None], set[str]] = {}
        for job in self.jobs.values():
            if job.status == "ValidationFailed":
                continue
            for document in job.documents:
                path = self.blobs.path_of(document.source_url)
                found.setdefault((path.name if path else document.source_url, document.source_etag), set()).add(job.id)
        return found

    def _create(self, inputs: Sequence[DocumentInput]) -> str:
        job_id = f"{next(self._ids):08x}-0000-0000-0000-000000000000"
        pairs = [(item, target) for item in inputs for target in item.targets]
        documents = [
            _Document(
                f"{job_id[:8]}-{index:04}", item.source_url, target.url, target.language, self._version(item.source_url)
            )
            for index, (item, target) in enumerate(pairs)
        ]
        self.jobs[job_id] = _Job(job_id, self.clock(), documents)
        return job_id

    def _advance(self, job: _Job) -> None:
        if job.status not in ("NotStarted", "Running") or (self.stall and job.status == "Running"):
            return
        if job.status == "NotStarted":
            existing = [doc for doc in job.documents if self.blobs.exists(self.blobs.path_of(doc.target_url))]
            if existing:
                message = f"Target document '{existing[0].target_url.split('?')[0]}' already exists."
                job.status, job.error = "ValidationFailed", Problem("TargetFileAlreadyExists", message)
                for document in job.documents:
                    document.status = "Failed"
                return
            job.status = "Running"
            for document in job.documents:
                document.status = "Running"
            return
        for document in job.documents:
            source = self.blobs.download(self.blobs.path_of(document.source_url))
            if source is None:
                document.status = "Failed"
                document.error = Problem("SourceDocumentNotFound", "The source document was not found.")
                continue
            translated = f"[{document.language}] ".encode() + source
            self.blobs.upload(self.blobs.path_of(document.target_url), translated)
            document.status, document.characters = "Succeeded", len(source)
        failed = sum(document.status == "Failed" for document in job.documents)
        job.status = "Succeeded" if failed < len(job.documents) else "Failed"

    def _version(self, url: str) -> str | None:
        path = self.blobs.path_of(url)
        found = self.blobs.properties(path) if path else None
        return found.etag if found else None

    @staticmethod
    def _status(job: _Job) -> JobStatus:
        return JobStatus(id=job.id, status=job.status, created=job.created, summary=job.summary(), error=job.error)
