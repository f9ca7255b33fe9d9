"""What each function does, from binding values to binding values; `function_app.py` only wires these up."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Any

from azure.storage.blob import BlobClient

from shared import outbox
from shared.errors import SettingError
from shared.intake import receive
from shared.logfields import log_fields
from shared.poller import Poller
from shared.records import utc_now
from shared.services import Services, current_services
from shared.status import document_view, job_view, overview
from shared.storage import BlobPath
from shared.submitter import Submitter
from shared.translator import time_budget

logger = logging.getLogger(__name__)

RECORD_SECONDS = 30.0


@dataclass
class Functions:
    """The functions' work on one set of parts, with the failure policy of each function's boundary: what the host
    should retry raises, what a later run finishes is logged and left to it."""

    services: Services
    clock: Callable[[], datetime] = utc_now

    def upload(self, path: BlobPath) -> list[str]:
        """Blob trigger: record (or reject) the document, then submit everything waiting. Recording must succeed or
        the invocation fails (the host retries it). Once the document is recorded, a failed submission is the poller's
        to retry: failing the invocation would only retry it into the poison queue. Returns publish requests."""
        with time_budget(RECORD_SECONDS):  # the formats lookup may not hold up recording the document
            rejection = receive(path, self.services, now=self.clock())
        messages = [rejection] if rejection else []
        try:
            messages += Submitter(self.services, clock=self.clock).run()
        except Exception:
            logger.exception(
                "document %s: recorded; submitting failed, the next timer run submits it",
                path,
                extra=log_fields("document.submit_deferred", document=path),
            )
        return outbox.publish_requests(messages)

    def poll_tick(self) -> list[str]:
        """Timer trigger: one poller tick. Returns publish requests."""
        return outbox.publish_requests(Poller(self.services, clock=self.clock).tick())

    def publish(self, request: str) -> list[str]:
        """Queue trigger on OUTBOX_QUEUE: one publish request. Returns completion messages."""
        return outbox.publish(self.services, request)


def handle_upload(blob: BlobClient) -> list[str]:
    return Functions(current_services()).upload(BlobPath(blob.container_name, blob.blob_name))


def handle_poll_tick() -> list[str]:
    return Functions(current_services()).poll_tick()


def handle_publish(request: str) -> list[str]:
    return Functions(current_services()).publish(request)


def document_status(name: str) -> tuple[int, dict[str, Any]]:
    """A source document's state by name; with no name, the overview."""
    if not name:
        return _view(overview, "")
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
