"""Read-only views of the state Table for operators (the HTTP status functions). Never includes a SAS."""

from __future__ import annotations

import re
from typing import Any

from shared.records import DocumentRecord, name_key
from shared.services import Services

_JOB_ID = re.compile(r"^[0-9a-fA-F-]{8,64}$")


def document_view(services: Services, name: str) -> dict[str, Any] | None:
    """The latest recorded version of a source blob name (in SOURCE_CONTAINER), or None."""
    record = services.ledger.latest_version(name_key(services.settings.source_container, name))
    return None if record is None else _document_wire(record)


def job_view(services: Services, job_id: str) -> dict[str, Any] | None:
    if not _JOB_ID.match(job_id):
        return None
    job = services.ledger.job(job_id)
    if job is None:
        return None
    return {
        "jobId": job.key,
        "state": job.state.value,
        "status": job.status,
        "summary": job.summary or {},
        "documents": job.document_count,
        "createdAt": job.created_at.isoformat(),
        "completedAt": job.completed_at.isoformat() if job.completed_at else None,
    }


def _document_wire(record: DocumentRecord) -> dict[str, Any]:
    return {
        "container": record.container,
        "name": record.name,
        "etag": record.source_etag,
        "bytes": record.bytes,
        "state": record.state.value,
        "outcome": record.outcome,
        "languages": list(record.languages),
        "jobId": record.job_id,
        "error": {"code": record.error_code, "message": record.error_message} if record.error_code else None,
        "targets": record.targets or [],
        "receivedAt": record.received_at.isoformat(),
        "submittedAt": record.submitted_at.isoformat() if record.submitted_at else None,
        "completedAt": record.completed_at.isoformat() if record.completed_at else None,
        "messageId": record.message_id,
    }
