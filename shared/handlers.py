"""What each function does, from binding values to binding values; `function_app.py` only wires these up."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from azure.storage.blob import BlobClient

from shared import outbox
from shared.errors import SettingError
from shared.intake import receive
from shared.logfields import log_fields
from shared.poller import Poller
from shared.records import utc_now
from shared.services import current_services
from shared.status import document_view, job_view
from shared.submitter import Submitter

logger = logging.getLogger(__name__)


def handle_upload(blob: BlobClient) -> list[str]:
    """Blob trigger: record (or reject) the document, then submit everything waiting. Returns publish requests."""
    services = current_services()
    rejection = receive(blob, services, now=utc_now())
    messages = [rejection] if rejection else []
    messages += Submitter(services).run()
    return outbox.publish_requests(messages)


def handle_poll_tick() -> list[str]:
    """Timer trigger: one poller tick. Returns publish requests."""
    return outbox.publish_requests(Poller(current_services()).tick())


def handle_publish(request: str) -> list[str]:
    """Queue trigger on OUTBOX_QUEUE: one publish request. Returns completion messages."""
    return outbox.publish(current_services(), request)


def document_status(name: str) -> tuple[int, dict[str, Any]]:
    return _view(lambda services: document_view(services, name), f"No document named '{name}' has been recorded.")


def job_status(job_id: str) -> tuple[int, dict[str, Any]]:
    return _view(lambda services: job_view(services, job_id), f"No job '{job_id}' has been recorded.")


def _view(read, not_found: str) -> tuple[int, dict[str, Any]]:
    try:
        body = read(current_services())
    except SettingError as exc:
        logger.exception("status request failed: configuration", extra=log_fields("status.misconfigured"))
        return HTTPStatus.SERVICE_UNAVAILABLE, {"error": {"code": "Misconfigured", "message": str(exc)}}
    if body is None:
        return HTTPStatus.NOT_FOUND, {"error": {"code": "NotFound", "message": not_found}}
    return HTTPStatus.OK, body


def to_json(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False)
