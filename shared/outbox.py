"""The outbox between "a document is done" and its completion message on the queue.

The host writes a function's output bindings after the function returns, where the function cannot see the write
fail, and a timer run is never retried. So no run writes completion messages itself: each message is first recorded
in the outbox (before its document counts as announced), then handed as a publish request to OUTBOX_QUEUE by the run
that recorded it. The publisher function, a queue trigger the host retries, confirms the request's messages (deleting
their outbox entries) and returns them for the completion queue. A request the host never wrote leaves its entries
pending, and a later timer run requests them again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from shared.errors import MessagesNotRecorded
from shared.logfields import log_fields
from shared.messages import INLINE_MESSAGE_BYTES, QueuedEvent
from shared.records import OutboxEntry
from shared.services import Services
from shared.storage import BlobPath

logger = logging.getLogger(__name__)

REQUEST_BYTES = 45_000  # UTF-8 bytes per publish request: 60,000 once base64-encoded, under a queue message's 64 KiB
MESSAGES_FOLDER = "_messages"  # in TARGET_CONTAINER: no language code starts with '_', so no output lands here
JSON_CONTENT = "application/cloudevents+json; charset=utf-8"
CONFIRM_GRACE = timedelta(minutes=2)  # how long a request may take to reach the publisher before it is sent again


def record(services: Services, announcements: Sequence[QueuedEvent], *, now: datetime) -> list[str]:
    """Record messages before their documents are marked announced. Returns the completion messages this call
    recorded, to request; the others were recorded by an earlier or concurrent run, which requests them (or a later
    timer run will). MessagesNotRecorded when the outbox refused some: their documents must not count as announced."""
    entries = [
        OutboxEntry(key=item.message_id, message=queued_form(services, item), requested_at=now)
        for item in announcements
    ]
    inserted, refused = services.ledger.insert_new(entries)
    recorded = [entry.message for entry in inserted]
    if refused:
        raise MessagesNotRecorded(recorded, refused)
    return recorded


def queued_form(services: Services, announcement: QueuedEvent) -> str:
    """The message as it goes on the queue: inline when it fits, else a reference to the whole event, stored first
    as `{TARGET_CONTAINER}/_messages/{id}.json` (written once: a re-run keeps the first copy)."""
    message = announcement.to_json()
    if len(message.encode("utf-8")) <= INLINE_MESSAGE_BYTES:
        return message
    path = BlobPath(services.settings.target_container, f"{MESSAGES_FOLDER}/{announcement.message_id}.json")
    services.blobs.put_once(path, message.encode("utf-8"), content_type=JSON_CONTENT)
    logger.info(
        "message %s: %d bytes, sent by reference to %s",
        announcement.message_id,
        len(message.encode("utf-8")),
        path,
        extra=log_fields("outbox.message_by_reference", document=path),
    )
    return announcement.to_reference_json(services.blobs.url(path))


def publish_requests(messages: list[str]) -> list[str]:
    """Pack completion messages (JSON) into publish requests for OUTBOX_QUEUE: JSON arrays of whole messages."""
    requests: list[str] = []
    chunk: list[str] = []
    size = 0
    for message in messages:
        length = len(message.encode("utf-8")) + 1
        if chunk and size + length > REQUEST_BYTES:
            requests.append(_request(chunk))
            chunk, size = [], 0
        chunk.append(message)
        size += length
    if chunk:
        requests.append(_request(chunk))
    return requests


def publish(services: Services, request: str) -> list[str]:
    """The publisher's work: confirm a request's messages, return them for the completion queue. Confirming first is
    safe: if the host then fails to write them, it retries this request, which returns the same messages again."""
    events = json.loads(request)
    services.ledger.delete_keys((OutboxEntry.PARTITION, event["id"]) for event in events)
    return [json.dumps(event, ensure_ascii=False, separators=(",", ":")) for event in events]


def overdue(services: Services, *, now: datetime) -> list[str]:
    """Messages whose request has not reached the publisher within CONFIRM_GRACE: requested again, each by one run
    (an ETag-guarded re-stamp decides which)."""
    resent: list[str] = []
    for entry in services.ledger.partition(OutboxEntry):
        if now - entry.requested_at < CONFIRM_GRACE:
            continue
        entry.requested_at = now
        if services.ledger.update(entry):
            resent.append(entry.message)
    if resent:
        logger.warning(
            "outbox: %d messages not confirmed within %s; requested again",
            len(resent),
            CONFIRM_GRACE,
            extra=log_fields("outbox.requested_again", batch_size=len(resent)),
        )
    return resent


def _request(messages: list[str]) -> str:
    return "[" + ",".join(messages) + "]"
