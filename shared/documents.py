"""The document lifecycle after intake recorded a version (`Received`, or `Rejected` at once): into a job
(`Submitted`), announced (`Completed`, or `Rejected` before any job), and back to `Received` when a failed job never
translated it. Every later state a document takes is written here, each transition safe to repeat."""

from __future__ import annotations

import logging
from datetime import datetime

from shared.ledger import Ledger
from shared.logfields import log_fields
from shared.messages import Announcement, Outcome
from shared.records import DocumentRecord, DocumentState, InboxEntry, SourceVersion
from shared.retention import index_documents
from shared.services import Services
from shared.storage import BlobPath

logger = logging.getLogger(__name__)


def mark_submitted(ledger: Ledger, documents: list[SourceVersion], job_id: str, *, now: datetime) -> None:
    submitted = {"state": DocumentState.SUBMITTED, "job_id": job_id, "submitted_at": now}
    ledger.merge_all(DocumentRecord, {document.key: submitted for document in documents})


def mark_announced(services: Services, announced: list[tuple[SourceVersion, Announcement]], *, now: datetime) -> None:
    """The outcome each document was announced with (for status queries and later versions of its name), after
    the retention index entry of each (so whatever ended is pruned some day)."""
    index_documents(services, (document.key for document, _ in announced), now)
    services.ledger.merge_all(DocumentRecord, {document.key: _outcome(item) for document, item in announced})


def requeue(ledger: Ledger, documents: list[SourceVersion], job_id: str) -> None:
    """Documents a failed job never translated through no fault of their own go back to the inbox. Only those
    still recorded as in this job: so a re-run, or a racing run, never queues a document twice."""
    for version in documents:
        document = ledger.document(version.key)
        if document is None or document.state is not DocumentState.SUBMITTED or document.job_id != job_id:
            continue
        logger.warning(
            "document %s: not blocked by an existing output; submitting it again",
            version.name,
            extra=log_fields("document.resubmitted", document=BlobPath(version.container, version.name), job_id=job_id),
        )
        ledger.insert(InboxEntry(**version.version_fields()))
        document.state = DocumentState.RECEIVED
        ledger.update(document)


def _outcome(announcement: Announcement) -> dict[str, object]:
    rejected = announcement.outcome is Outcome.REJECTED and announcement.job_id is None
    return {
        "state": DocumentState.REJECTED if rejected else DocumentState.COMPLETED,
        "outcome": announcement.outcome.value,
        "completed_at": announcement.completed_at,
        "message_id": announcement.message_id,
        "error_code": announcement.error.code if announcement.error else None,
        "error_message": announcement.error.message if announcement.error else None,
        "targets": [target.to_wire() for target in announcement.targets] or None,
    }
