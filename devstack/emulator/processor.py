"""Running translation jobs: planning a batch from its inputs, then translating documents on a bounded worker pool."""

from __future__ import annotations

import logging
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from devstack.emulator.blobs import BlobGateway, BlobLocation, SourceBlob, StorageAccessDenied, StorageNotFound
from devstack.emulator.engine import TextTranslator, TranslationEngine
from devstack.emulator.errors import (
    INTERNAL_SERVER_ERROR,
    INVALID_REQUEST,
    SOURCE_ACCESS_DENIED,
    TARGET_ACCESS_DENIED,
    DocumentFailure,
    ErrorDetail,
    JobValidationFailure,
    bad_request,
)
from devstack.emulator.formats import ExtractedDocument, format_for
from devstack.emulator.glossaries import Glossary, merge_glossaries, parse_glossary
from devstack.emulator.jobs import (
    DocumentRecord,
    GlossaryRef,
    Job,
    JobStore,
    SourceDocument,
    Status,
    TargetSpec,
    new_document_id,
    new_id,
    utc_now,
)
from devstack.emulator.language_detection import detect_language
from devstack.emulator.start_request import InputSpec, StorageType

logger = logging.getLogger(__name__)

MB = 1024 * 1024
SPOOL_BYTES = 4 * MB  # documents larger than this go through temporary files, not memory


@dataclass(frozen=True)
class Limits:
    max_batch_documents: int = 1000
    max_batch_bytes: int = 250 * MB
    max_document_bytes: int = 40 * MB


class TranslationCounters:
    """What the engine did: translations per target language and characters charged (for /emulator/stats)."""

    def __init__(self) -> None:
        self.translations_by_language: Counter[str] = Counter()
        self.characters_charged = 0
        self.source_languages_detected: Counter[str] = Counter()  # documents sent without a source language

    def translated(self, language: str, characters: int) -> None:
        self.translations_by_language[language] += 1
        self.characters_charged += characters

    def detected(self, extracted: ExtractedDocument) -> str | None:
        """The detected language of a document sent without one (counted; None when it cannot be told)."""
        language = detect_language(extracted.sample)
        self.source_languages_detected[language or "unknown"] += 1
        return language


class JobRunner:
    def __init__(
        self,
        store: JobStore,
        gateway: BlobGateway,
        engine: TranslationEngine,
        *,
        workers: int,
        chars_per_second: float = 0.0,
        limits: Limits | None = None,
    ) -> None:
        self._store = store
        self._gateway = gateway
        self._engine = engine
        self._chars_per_second = chars_per_second
        self._limits = limits or Limits()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="translate")
        self._planner = ThreadPoolExecutor(max_workers=16, thread_name_prefix="plan")
        self.counters = TranslationCounters()
        self._stopping = threading.Event()

    def resume(self) -> None:
        """Carry on with the unfinished jobs loaded from --state-dir: documents that were running start again."""
        for job in self._store.all():
            if job.status.is_terminal:
                continue
            with self._store.lock:
                interrupted = [record for record in job.documents if record.status is Status.RUNNING]
                for record in interrupted:
                    record.status = Status.NOT_STARTED
                if job.status is Status.CANCELLING:
                    for record in job.documents:
                        if not record.status.is_terminal:
                            record.status, record.last_action = Status.CANCELLED, utc_now()
                self._store.persist(job, job.documents)
                self._finish_if_done(job)
            logger.info("job %s resumed after a restart (%s)", job.id, job.status.value)
            if job.status is Status.NOT_STARTED:
                self._pool.submit(self._start, job)  # its targets may not have been checked yet
            elif not job.status.is_terminal:
                for source in job.sources:
                    self._pool.submit(self._process_source, job, source)

    def shutdown(self) -> None:
        """Stop: queued work is dropped and a simulated slow translation ends early without writing its output."""
        self._stopping.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._planner.shutdown(wait=False, cancel_futures=True)

    # ---- submission ---------------------------------------------------------------------------------------------

    def submit(self, specs: list[InputSpec]) -> Job:
        """Create a job; raises ApiError (400) when the batch exceeds the limits."""
        job = Job(id=new_id(), created=utc_now())
        file_inputs = sum(1 for spec in specs if spec.storage_type is StorageType.FILE)
        self._check_document_count(file_inputs)
        try:
            found = self._enumerate(specs)
        except JobValidationFailure as failure:
            self._end_validation_failed(job, failure)
            self._store.add(job)
            return job
        self._check_document_count(len(found))
        total_bytes = sum(blob.size for _, blob in found)
        if total_bytes > self._limits.max_batch_bytes:
            raise bad_request(
                "BatchSizeTooLarge",
                f"The documents in this batch total {total_bytes} bytes; "
                f"at most {self._limits.max_batch_bytes} bytes are allowed in one batch.",
                code=INVALID_REQUEST,
            )
        job.set_sources([self._source_document(job, spec, blob) for spec, blob in found])
        if not job.documents:
            self._end_validation_failed(
                job, JobValidationFailure("NoDocumentsFound", "The source location holds no supported documents.")
            )
            self._store.add(job)
            return job
        self._store.add(job)
        self._pool.submit(self._start, job)
        logger.info("job %s accepted: %d documents", job.id, len(job.documents))
        return job

    def _check_document_count(self, count: int) -> None:
        if count > self._limits.max_batch_documents:
            raise bad_request(
                "TooManyDocuments",
                f"The batch has {count} documents; at most {self._limits.max_batch_documents} are allowed.",
                code=INVALID_REQUEST,
            )

    def _enumerate(self, specs: list[InputSpec]) -> list[tuple[InputSpec, SourceBlob]]:
        file_specs = [spec for spec in specs if spec.storage_type is StorageType.FILE]
        found = list(self._planner.map(self._stat_file, file_specs))
        for spec in specs:
            if spec.storage_type is StorageType.FOLDER:
                found.extend((spec, blob) for blob in self._list_folder(spec))
        return found

    def _stat_file(self, spec: InputSpec) -> tuple[InputSpec, SourceBlob]:
        name = spec.source.path.rsplit("/", 1)[-1]
        try:
            size = self._gateway.blob_size(spec.source)
        except StorageAccessDenied as exc:
            raise _source_access_denied() from exc
        except StorageNotFound:
            size = 0  # reported on the document when it is processed
        return spec, SourceBlob(spec.source, name, size)

    def _list_folder(self, spec: InputSpec) -> Iterator[SourceBlob]:
        try:
            blobs = list(self._gateway.list_folder(spec.source, prefix=spec.prefix, suffix=spec.suffix))
        except StorageAccessDenied as exc:
            raise _source_access_denied() from exc
        except StorageNotFound as exc:
            raise JobValidationFailure(
                "SourceContainerNotFound",
                f"The source container '{spec.source.public_url}' does not exist.",
            ) from exc
        # Unsupported file types inside a folder are skipped and not counted, as the service does.
        return (blob for blob in blobs if format_for(blob.name) is not None)

    def _source_document(self, job: Job, spec: InputSpec, blob: SourceBlob) -> SourceDocument:
        translations = []
        taken = {record.id for record in job.documents}
        for target in spec.targets:
            location = target.location if spec.storage_type is StorageType.FILE else target.location.child(blob.name)
            record = DocumentRecord(
                id=new_document_id(taken),
                source=blob.location,
                target=location,
                language=target.language,
                created=utc_now(),  # each document its own, as recorded; listed newest first
                deployment_name=target.deployment_name,
            )
            translations.append((record, target))
        return SourceDocument(blob.location, blob.size, spec.source_language, tuple(translations))

    # ---- processing ---------------------------------------------------------------------------------------------

    def _start(self, job: Job) -> None:
        """Validate targets (write permission, nothing to overwrite), then queue every source document."""
        try:
            self._validate_targets(job)
        except JobValidationFailure as failure:
            with self._store.lock:
                self._end_validation_failed(job, failure)
            return
        except Exception:
            logger.exception("job %s: target validation failed unexpectedly", job.id)
        for source in job.sources:
            self._pool.submit(self._process_source, job, source)
        with self._store.lock:
            self._finish_if_done(job)

    def _validate_targets(self, job: Job) -> None:
        for record in job.documents:
            permissions = record.target.sas_permissions()
            if record.target.has_sas and (permissions is None or "w" not in permissions):
                raise _target_access_denied()
        for account_url, container in {(doc.target.account_url, doc.target.container) for doc in job.documents}:
            try:
                self._gateway.check_reachable(BlobLocation(account_url, container, "", ""))
            except StorageAccessDenied as exc:
                raise _target_access_denied() from exc
        checks = list(self._planner.map(self._target_exists, job.documents))
        existing = [record for record, exists in zip(job.documents, checks, strict=True) if exists]
        if existing:
            raise JobValidationFailure(
                "TargetFileAlreadyExists",
                f"Target document '{existing[0].target.public_url}' already exists "
                f"({len(existing)} target(s) exist); the service does not overwrite.",
            )

    def _target_exists(self, record: DocumentRecord) -> bool:
        try:
            return self._gateway.exists(record.target)
        except (StorageAccessDenied, StorageNotFound):
            return False  # no read permission: the write itself refuses to overwrite

    def _process_source(self, job: Job, source: SourceDocument) -> None:
        with self._store.lock:
            pending = [(record, target) for record, target in source.translations if not record.status.is_terminal]
            if job.status in (Status.CANCELLING, Status.CANCELLED) or not pending or self._stopping.is_set():
                return
            now = utc_now()
            for record, _ in pending:
                record.status, record.last_action = Status.RUNNING, now
            if job.status is Status.NOT_STARTED:
                job.status, job.last_action = Status.RUNNING, now
            self._store.persist(job, [record for record, _ in pending])
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as source_file:
            try:
                extracted, content_type, characters = self._read_source(source, source_file)
            except DocumentFailure as failure:
                self._record_failures(job, source, failure.detail)
                return
            except Exception:
                logger.exception("job %s: reading %s failed", job.id, source.location.public_url)
                self._record_failures(job, source, _internal_error())
                return
            language = source.source_language or self.counters.detected(extracted)
            self._translate_pending(job, source, pending, extracted, content_type, characters, language)

    def _translate_pending(
        self,
        job: Job,
        source: SourceDocument,
        pending: list[tuple[DocumentRecord, TargetSpec]],
        extracted: ExtractedDocument,
        content_type: str,
        characters: int,
        language: str | None,
    ) -> None:
        for record, target in pending:
            if job.status is Status.CANCELLING:
                self._update(job, record, Status.CANCELLED)
                continue
            try:
                self._translate_to(job, record, target, extracted, content_type, characters, language)
            except _Interrupted:
                return  # shutting down: the record stays Running in --state-dir and is resumed after a restart
            except DocumentFailure as failure:
                self._update(job, record, Status.FAILED, error=failure.detail)
                continue
            except Exception:
                logger.exception("job %s: translating document %s failed", job.id, record.id)
                self._update(job, record, Status.FAILED, error=_internal_error())
                continue
            self.counters.translated(record.language, characters)
            self._update(job, record, Status.SUCCEEDED, characters=characters)

    def _read_source(self, source: SourceDocument, into: BinaryIO) -> tuple[ExtractedDocument, str, int]:
        """Download the source into a (spooled) file and parse it: the parsed document, the content type of its
        outputs, and the characters each translation charges."""
        name = source.location.path.rsplit("/", 1)[-1]
        document_format = format_for(name)
        if document_format is None:
            raise DocumentFailure(
                "UnsupportedDocumentFormat",
                f"The document '{name}' has an unsupported file extension; see GET /document/formats.",
            )
        if source.size > self._limits.max_document_bytes:
            raise _too_large(name, source.size, self._limits.max_document_bytes)
        try:
            size = self._gateway.download_to(source.location, into)
        except StorageNotFound as exc:
            raise DocumentFailure("SourceDocumentNotFound", f"The source document '{name}' does not exist.") from exc
        except StorageAccessDenied as exc:
            raise DocumentFailure("InvalidDocumentAccessLevel", SOURCE_ACCESS_DENIED) from exc
        if size > self._limits.max_document_bytes:
            raise _too_large(name, size, self._limits.max_document_bytes)
        into.seek(0)
        extracted = document_format.extract(into, name).with_text()
        return extracted, document_format.content_types[0], extracted.characters

    def _translate_to(
        self,
        job: Job,
        record: DocumentRecord,
        target: TargetSpec,
        extracted: ExtractedDocument,
        content_type: str,
        characters: int,
        language: str | None,
    ) -> None:
        translator = TextTranslator(
            self._engine,
            source=language,
            target=record.language,
            glossary=self._glossary(job, target.glossaries),
        )
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as output:
            extracted.write(translator.translate, output, record.language)
            if self._chars_per_second > 0 and self._stopping.wait(characters / self._chars_per_second):
                raise _Interrupted
            length = output.tell()
            output.seek(0)
            self._write_output(record, output, length, content_type)

    def _write_output(self, record: DocumentRecord, output: BinaryIO, length: int, content_type: str) -> None:
        try:
            self._gateway.write_new(record.target, output, length=length, content_type=content_type, writer=record.id)
        except StorageAccessDenied as exc:
            raise DocumentFailure("InvalidTargetDocumentAccessLevel", TARGET_ACCESS_DENIED) from exc
        except StorageNotFound as exc:
            raise DocumentFailure(
                "TargetContainerNotFound", f"The target container of '{record.target.public_url}' does not exist."
            ) from exc

    def _glossary(self, job: Job, refs: tuple[GlossaryRef, ...]) -> Glossary | None:
        if not refs:
            return None
        merged_key = "\n".join(f"{ref.location.public_url}|{ref.file_format}" for ref in refs)
        if (merged := job.glossary_cache.get(f"merged\n{merged_key}")) is not None:
            return merged  # parsed, merged and its matcher built once per job, not per document and language
        parsed = []
        for ref in refs:
            key = f"{ref.location.public_url}|{ref.file_format}"
            cached = job.glossary_cache.get(key)
            if cached is None:
                name = ref.location.path.rsplit("/", 1)[-1]
                try:
                    data = self._gateway.read(ref.location)
                except (StorageAccessDenied, StorageNotFound) as exc:
                    raise DocumentFailure(
                        "InvalidGlossary", f"The glossary '{name}' cannot be read ({type(exc).__name__})."
                    ) from exc
                cached = job.glossary_cache.setdefault(key, parse_glossary(data, ref.file_format, name=name))
            parsed.append(cached)
        return job.glossary_cache.setdefault(f"merged\n{merged_key}", merge_glossaries(parsed))

    # ---- state transitions (under the store lock) ---------------------------------------------------------------

    def _update(
        self,
        job: Job,
        record: DocumentRecord,
        status: Status,
        *,
        error: ErrorDetail | None = None,
        characters: int = 0,
    ) -> None:
        with self._store.lock:
            record.status, record.last_action, record.error = status, utc_now(), error
            record.characters_charged = characters
            record.progress = 1.0 if status is Status.SUCCEEDED else record.progress
            self._finish_if_done(job)
            self._store.persist(job, [record])

    def _record_failures(self, job: Job, source: SourceDocument, error: ErrorDetail) -> None:
        for record, _ in source.translations:
            self._update(job, record, Status.FAILED, error=error)

    def _finish_if_done(self, job: Job) -> None:
        documents = job.documents
        if job.status.is_terminal or any(not doc.status.is_terminal for doc in documents):
            return
        if job.status is Status.CANCELLING:
            job.status = Status.CANCELLED
        elif documents and all(doc.status is Status.FAILED for doc in documents):
            job.status = Status.FAILED
            first = next((doc.error for doc in documents if doc.error is not None), None)
            job.error = first.for_job() if first else None  # every document failed: the job says why
        else:
            job.status = Status.SUCCEEDED
        job.last_action = utc_now()
        self._store.persist(job)
        logger.info("job %s finished: %s", job.id, job.status.value)

    def _end_validation_failed(self, job: Job, failure: JobValidationFailure) -> None:
        job.status, job.error, job.last_action = Status.VALIDATION_FAILED, failure.detail, utc_now()
        for record in job.documents:  # each document carries the job's reason, for per-document consumers
            if not record.status.is_terminal:
                record.status, record.last_action, record.error = Status.FAILED, job.last_action, failure.detail
        self._store.persist(job, job.documents)
        logger.info("job %s validation failed: %s", job.id, failure.detail.inner_code)

    def cancel(self, job: Job) -> None:
        """Cancel a job that has not finished: pending documents are cancelled, running ones complete. A job that has
        ended or is already cancelling is left as it is (the service answers 200 with its unchanged status)."""
        with self._store.lock:
            if job.status.is_terminal or job.status is Status.CANCELLING:
                return
            job.status, job.last_action = Status.CANCELLING, utc_now()
            for record in job.documents:
                if record.status is Status.NOT_STARTED:
                    record.status, record.last_action = Status.CANCELLED, job.last_action
            self._store.persist(job, job.documents)
            self._finish_if_done(job)


class _Interrupted(Exception):
    """The emulator is shutting down in the middle of a document."""


def _source_access_denied() -> JobValidationFailure:
    return JobValidationFailure("InvalidDocumentAccessLevel", SOURCE_ACCESS_DENIED)


def _target_access_denied() -> JobValidationFailure:
    return JobValidationFailure("InvalidTargetDocumentAccessLevel", TARGET_ACCESS_DENIED)


def _too_large(name: str, size: int, limit: int) -> DocumentFailure:
    return DocumentFailure(
        "DocumentTooLarge", f"The document '{name}' is {size} bytes; the limit is {limit} bytes per document."
    )


def _internal_error() -> ErrorDetail:
    return ErrorDetail(INTERNAL_SERVER_ERROR, "InternalServerError", "An unexpected error occurred.", "Document")
