"""Read-only views of the state Table for operators (the HTTP status functions). Never includes a SAS."""

from __future__ import annotations

import re
from typing import Any

from shared.records import DocumentRecord, DocumentState, InboxEntry, NamePointer, name_key, utc_now
from shared.services import Services
from shared.spending import WAITING_FOR_BUDGET, Spending, next_day

_JOB_ID = re.compile(r"^[0-9a-fA-F-]{8,64}$")


def document_view(services: Services, name: str) -> dict[str, Any] | None:
    """The latest recorded version of a source blob name (in SOURCE_CONTAINER), or None."""
    pointer = services.ledger.get(NamePointer, name_key(services.settings.source_container, name))
    record = services.ledger.document(pointer.document_key) if pointer else None
    if pointer is not None and pointer.expired_at is not None:
        return {
            "container": pointer.container,
            "name": pointer.name,
            "state": "Expired",
            "receivedAt": pointer.received_at.isoformat(),
            "expiredAt": pointer.expired_at.isoformat(),
        }
    if record is None:
        return None
    view = _document_wire(record)
    waiting = services.ledger.get(InboxEntry, record.key) if record.state is DocumentState.RECEIVED else None
    if waiting is not None and waiting.waiting_for and waiting.not_before and waiting.not_before > utc_now():
        view["waitingFor"], view["waitingUntil"] = waiting.waiting_for, waiting.not_before.isoformat()
    return view


def overview(services: Services) -> dict[str, Any]:
    """The app at a glance (`/api/status`): what waits in the inbox, and today's spending under a cap."""
    inbox, now = services.ledger.inbox(), utc_now()
    spending = Spending(services)
    budget = spending.today()
    budget_view = None
    if budget is not None:
        reached = spending.reached_on(budget.day)
        budget_view = {
            "day": budget.day,
            "maxCharactersPerDay": budget.cap,
            "charactersSpent": budget.spent,
            "charactersLeft": max(0, budget.cap - budget.spent),
            "reachedAt": reached.reached_at.isoformat() if reached else None,
            "resumesAt": next_day(reached.reached_at).isoformat() if reached else None,
        }
    return {
        "inbox": {
            "documents": len(inbox),
            "waitingForBudget": sum(
                1
                for entry in inbox
                if entry.waiting_for == WAITING_FOR_BUDGET and entry.not_before and entry.not_before > now
            ),
        },
        "activeJobs": len(services.ledger.active_jobs()),
        "budget": budget_view,
    }


def job_view(services: Services, job_id: str) -> dict[str, Any] | None:
    if not _JOB_ID.match(job_id):
        return None
    job = services.ledger.job(job_id)
    if job is None:
        return None
    return {
        "jobId": job.key,
        "state": "Expired" if job.expired_at else job.state.value,
        "expiredAt": job.expired_at.isoformat() if job.expired_at else None,
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
