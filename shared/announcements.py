"""Announcements of source documents, one protocol for every way a document ends: its completion message goes into
the outbox first, then its outcome into its record (both idempotent, so a crash between repeats a step, never skips
one). Whoever counts documents as announced (a job's bitmap, its move to the finished jobs) does so only after."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from shared import outbox
from shared.documents import mark_announced
from shared.errors import MessagesNotRecorded
from shared.logfields import log_fields
from shared.messages import Announcement, Outcome, SourceInfo
from shared.problems import Problem
from shared.records import SourceVersion
from shared.reuse import ContentIndex
from shared.services import Services
from shared.storage import BlobPath

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Announced:
    to_request: list[str]  # the completion messages this run recorded: to request from the publisher
    documents: list[SourceVersion]  # those now announced; the others' messages the outbox refused (a later run)


def announce(
    services: Services, documents: list[SourceVersion], announcements: list[Announcement], *, now: datetime
) -> Announced:
    """Record the messages, then the outcomes of the documents whose message the outbox took (translated versions'
    outputs are recorded for reuse first, while they still hold their names' outputs)."""
    ContentIndex(services, lambda: now).remember(documents, announcements)
    try:
        to_request, refused = outbox.record(services, announcements, now=now), set()
    except MessagesNotRecorded as exc:
        logger.error(
            "%s; those documents are announced by a later run, the others now",
            exc,
            extra=log_fields("outbox.messages_not_recorded", batch_size=len(exc.failed)),
        )
        to_request, refused = exc.recorded, exc.failed
    done = [(doc, item) for doc, item in zip(documents, announcements, strict=True) if item.message_id not in refused]
    mark_announced(services, done, now=now)
    for doc, item in done:
        _log_announced(doc, item)
    return Announced(to_request, [doc for doc, _ in done])


def _log_announced(document: SourceVersion, announcement: Announcement) -> None:
    """One line per announced document: its outcome, reason and upload→announcement latency (the workbook's source)."""
    path = BlobPath(document.container, document.name)
    logger.info(
        "document %s: announced %s",
        path,
        announcement.outcome,
        extra=log_fields(
            "document.announced",
            document=path,
            job_id=announcement.job_id,
            outcome=announcement.outcome.value,
            error_code=announcement.error.code if announcement.error else None,
            duration_ms=(announcement.completed_at - document.received_at).total_seconds() * 1000,
        ),
    )


def finish_unsubmitted(
    services: Services, ended: list[tuple[SourceVersion, Problem]], outcome: Outcome, *, now: datetime
) -> Announced:
    """Announce documents that end before any job (rejected at submission, or refused by the service). The caller
    removes only the announced ones from the inbox and their batch: the others come round again."""
    announcements = [
        Announcement(
            outcome=outcome,
            source=source_info(services, member),
            event_source=services.event_source,
            received_at=member.received_at,
            completed_at=now,
            error=error,
        )
        for member, error in ended
    ]
    result = announce(services, [member for member, _ in ended], announcements, now=now)
    for member, error in ended:
        path = BlobPath(member.container, member.name)
        logger.info(
            "document %s: %s before submission, %s",
            path,
            outcome,
            error.code,
            extra=log_fields("document.ended_unsubmitted", document=path, outcome=outcome.value, error_code=error.code),
        )
    return result


def source_info(services: Services, member: SourceVersion) -> SourceInfo:
    path = BlobPath(member.container, member.name)
    return SourceInfo(
        member.container,
        member.name,
        member.source_etag,
        services.blobs.url(path),
        member.bytes,
        member.source_language,
    )
