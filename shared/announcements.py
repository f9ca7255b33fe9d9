"""Announcements of source documents: how a record becomes a completion message, and the record of having sent it."""

from __future__ import annotations

import logging
from datetime import datetime

from shared import outbox
from shared.logfields import log_fields
from shared.messages import Announcement, ErrorInfo, Outcome, SourceInfo
from shared.records import DocumentRecord, DocumentState, SourceVersion
from shared.services import Services
from shared.storage import BlobPath

logger = logging.getLogger(__name__)


def finish_unsubmitted(
    services: Services, ended: list[tuple[SourceVersion, ErrorInfo]], outcome: Outcome, *, now: datetime
) -> list[str]:
    """Record and announce documents that end before any job (rejected at submission, or refused by the service).
    Returns the completion messages to request (see `outbox.record`)."""
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
    to_request = outbox.record(services, announcements, now=now)  # before the documents count as announced
    state = DocumentState.REJECTED if outcome is Outcome.REJECTED else DocumentState.COMPLETED
    changes = {}
    for (member, error), announcement in zip(ended, announcements, strict=True):
        changes[member.key] = {
            "State": state.value,
            "Outcome": outcome.value,
            "ErrorCode": error.code,
            "ErrorMessage": error.message,
            "CompletedAt": now.isoformat(),
            "MessageId": announcement.message_id,
        }
        path = BlobPath(member.container, member.name)
        logger.info(
            "document %s: %s before submission, %s",
            path,
            outcome,
            error.code,
            extra=log_fields("document.ended_unsubmitted", document=path, outcome=outcome.value, error_code=error.code),
        )
    services.ledger.merge_all(DocumentRecord, changes)
    return to_request


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
