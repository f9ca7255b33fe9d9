"""The blob trigger's work: validate a new document from its properties, record it once, announce rejections."""

from __future__ import annotations

import logging
from datetime import datetime

from shared import outbox
from shared.announcements import announce
from shared.blob_store import BlobInfo
from shared.errors import TranslatorError
from shared.logfields import log_fields
from shared.messages import Announcement, Outcome, SourceInfo
from shared.problems import Problem, Reason
from shared.records import DocumentRecord, DocumentState, InboxEntry, NamePointer, document_key, name_key
from shared.reuse import fingerprint
from shared.services import Services
from shared.storage import BlobPath
from shared.validation import (
    SIGNATURE_BYTES,
    ZIP_BASED_EXTENSIONS,
    check_format,
    check_name,
    check_signature,
    check_size,
    extension_of,
    target_languages,
)

logger = logging.getLogger(__name__)


def receive(path: BlobPath, services: Services, *, now: datetime) -> str | None:
    """Validate and record the triggering blob. A rejection is recorded and its completion message returned to
    request, never raised."""
    properties = services.blobs.properties(path)
    if properties is None:
        logger.warning(
            "document %s: deleted before it could be recorded",
            path,
            extra=log_fields("document.rejected", document=path, outcome="Rejected", error_code=Reason.SOURCE_DELETED),
        )
        rejection = Problem(Reason.SOURCE_DELETED, "The blob was deleted before it could be recorded.")
        return _to_request(services, _rejected_announcement(services, path, "", 0, now, now, rejection), now)
    record = _new_record(path, properties, services, now)
    pointer = NamePointer(
        key=name_key(path.container, path.name),
        container=path.container,
        name=path.name,
        document_key=record.key,
        received_at=now,
    )
    first_version = services.ledger.insert(pointer)  # the common case costs one request, not a read and a write
    previous = None if first_version else services.ledger.get(NamePointer, pointer.key)
    if previous is not None and previous.expired_at is not None and previous.document_key == record.key:
        logger.info(
            "document %s: event for version %s, announced and pruned since (RETENTION_DAYS), ignored",
            path,
            record.source_etag,
            extra=log_fields("document.duplicate_event", document=path),
        )
        return None
    if previous is not None and previous.document_key != record.key:
        record.replaces = previous.document_key  # kept on rejections too: later versions walk back through them
    if record.state is DocumentState.REJECTED:
        record, announcement = _record_rejection(record, services, now)
        if not first_version:
            services.ledger.point_name(pointer, current=previous)
        return next(iter(announce(services, [record], [announcement], now=now).to_request), None)
    created = services.ledger.insert(record)
    if not created:
        existing = services.ledger.document(record.key)
        record = existing or record
        if record.state is not DocumentState.RECEIVED:
            logger.info(
                "document %s: duplicate event for version %s ignored",
                path,
                record.source_etag,
                extra=log_fields("document.duplicate_event", document=path),
            )
            return None
    services.ledger.insert(InboxEntry(**record.version_fields()))  # no-op on a duplicate; restores a lost one
    if not first_version:
        pointer.received_at = record.received_at
        services.ledger.point_name(pointer, current=previous)
    logger.info(
        "document %s: recorded (%d bytes, languages %s)",
        path,
        record.bytes,
        ",".join(record.languages),
        extra=log_fields("document.recorded", document=path),
    )
    return None


def _to_request(services: Services, announcement: Announcement, now: datetime) -> str | None:
    """Rejections go through the outbox after the record: a redelivered event announces the recorded one again."""
    return next(iter(outbox.record(services, [announcement], now=now)), None)


def _new_record(path: BlobPath, properties: BlobInfo, services: Services, now: datetime) -> DocumentRecord:
    settings = services.settings
    name = path.name
    languages = target_languages(properties.metadata, lambda: settings.languages_for(name))
    rejection = (
        check_name(name)
        or check_size(properties.size)
        or check_format(name, _supported_extensions(services, name))
        or (languages if isinstance(languages, Problem) else None)
        or _check_content(services, path)
    )
    record = DocumentRecord(
        key=document_key(path.container, name, properties.etag),
        container=path.container,
        name=name,
        source_etag=properties.etag,
        bytes=properties.size,
        content_type=properties.content_type,
        languages=() if isinstance(languages, Problem) else languages,
        state=DocumentState.REJECTED if rejection else DocumentState.RECEIVED,
        received_at=now,
        source_language=settings.source_language,
    )
    if not rejection:
        record.content_hash = fingerprint(services, path, properties)
    if rejection:
        record.outcome, record.error_code, record.error_message = (
            Outcome.REJECTED.value,
            rejection.code,
            rejection.message,
        )
        record.completed_at = now
    return record


def _supported_extensions(services: Services, name: str) -> frozenset[str] | None:
    try:
        return services.translator.supported_extensions()
    except TranslatorError as exc:
        logger.warning(
            "document %s: the Translator's formats could not be read (%s); the service will decide",
            name,
            exc,
            extra=log_fields("translator.formats_unavailable", document=name, error_code=exc.reason),
        )
        return None


def _check_content(services: Services, path: BlobPath) -> Problem | None:
    if extension_of(path.name) not in ZIP_BASED_EXTENSIONS:
        return None
    head = services.blobs.read_head(path, SIGNATURE_BYTES)
    return None if head is None else check_signature(path.name, head)  # deleted meanwhile: its ETag check will see


def _record_rejection(record: DocumentRecord, services: Services, now: datetime) -> tuple[DocumentRecord, Announcement]:
    if not services.ledger.insert(record):
        record = services.ledger.document(record.key) or record  # duplicate event: announce the same message again
    path = BlobPath(record.container, record.name)
    logger.info(
        "document %s: rejected, %s: %s",
        path,
        record.error_code,
        record.error_message,
        extra=log_fields("document.rejected", document=path, outcome="Rejected", error_code=record.error_code),
    )
    rejection = Problem(record.error_code or "Rejected", record.error_message or "")
    announcement = _rejected_announcement(
        services, path, record.source_etag, record.bytes, record.received_at, record.completed_at or now, rejection
    )
    return record, announcement


def _rejected_announcement(
    services: Services, path: BlobPath, etag: str, size: int, received: datetime, now: datetime, rejection: Problem
) -> Announcement:
    source = SourceInfo(
        path.container, path.name, etag, services.blobs.url(path), size, services.settings.source_language
    )
    return Announcement(
        outcome=Outcome.REJECTED,
        source=source,
        event_source=services.event_source,
        received_at=received,
        completed_at=now,
        error=rejection,
    )
