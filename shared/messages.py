"""Completion messages: CloudEvents 1.0 (structured JSON), one per source document version, ids deterministic."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.problems import Problem

SPEC_VERSION = "1.0"
COMPLETED_TYPE = "TranslationAutopilot.DocumentCompleted"
REJECTED_TYPE = "TranslationAutopilot.DocumentRejected"
BUDGET_REACHED_TYPE = "TranslationAutopilot.BudgetReached"
# A message larger than this (UTF-8) is sent by reference: base64 makes 60,000 bytes, under a queue message's 64 KiB.
# Long names in many languages get there (1,011 CJK characters in 10 languages make about 140 KB).
INLINE_MESSAGE_BYTES = 45_000


class Outcome(StrEnum):
    SUCCEEDED = "Succeeded"
    PARTIALLY_SUCCEEDED = "PartiallySucceeded"
    FAILED = "Failed"
    CANCELLED = "Cancelled"
    REJECTED = "Rejected"


@dataclass(frozen=True)
class SourceInfo:
    container: str
    name: str
    etag: str
    url: str
    bytes: int
    language: str | None


@dataclass(frozen=True)
class TargetResult:
    language: str
    status: str  # Succeeded | Failed | Cancelled
    container: str
    name: str
    url: str
    characters: int = 0
    error: Problem | None = None

    def to_wire(self) -> dict[str, Any]:
        wire = asdict(self)
        wire["error"] = self.error.to_wire() if self.error else None
        return wire


@dataclass(frozen=True)
class ReusedFrom:
    """The earlier document version whose translations were copied, and the job that made them."""

    container: str
    name: str
    etag: str
    job_id: str | None

    def to_wire(self) -> dict[str, Any]:
        return {"container": self.container, "name": self.name, "etag": self.etag, "jobId": self.job_id}


class QueuedEvent:
    """A CloudEvent for the completion queue: its deterministic id, and its JSON inline or by reference."""

    @property
    def message_id(self) -> str:
        raise NotImplementedError

    def to_cloud_event(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_json(self) -> str:
        return json.dumps(self.to_cloud_event(), ensure_ascii=False, separators=(",", ":"))

    def to_reference_json(self, dataref: str) -> str:
        """The same event without `data`, pointing at the whole event (`to_json`) stored at `dataref`: the CloudEvents
        `dataref` extension (claim check), for a message too large to inline."""
        envelope = self.to_cloud_event()
        del envelope["data"]
        envelope["dataref"] = dataref
        return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Announcement(QueuedEvent):
    """What one message says about one source document version."""

    outcome: Outcome
    source: SourceInfo
    event_source: str
    received_at: datetime
    completed_at: datetime
    job_id: str | None = None
    submitted_at: datetime | None = None
    targets: tuple[TargetResult, ...] = ()
    error: Problem | None = None
    reused_from: ReusedFrom | None = None

    @property
    def message_id(self) -> str:
        identity = [self.source.container, self.source.name, self.source.etag, self.job_id or ""]
        return hashlib.sha256(json.dumps(identity).encode()).hexdigest()

    def to_cloud_event(self) -> dict[str, Any]:
        return {
            "specversion": SPEC_VERSION,
            "id": self.message_id,
            "source": self.event_source,
            "type": REJECTED_TYPE if self.outcome is Outcome.REJECTED else COMPLETED_TYPE,
            "subject": f"{self.source.container}/{self.source.name}",
            "time": _iso(self.completed_at),
            "datacontenttype": "application/json",
            "data": {
                "status": self.outcome.value,
                "jobId": self.job_id,
                "reusedFrom": self.reused_from.to_wire() if self.reused_from else None,
                "source": asdict(self.source),
                "targets": [target.to_wire() for target in self.targets],
                "error": self.error.to_wire() if self.error else None,
                "receivedAt": _iso(self.received_at),
                "submittedAt": _iso(self.submitted_at) if self.submitted_at else None,
                "completedAt": _iso(self.completed_at),
            },
        }


@dataclass(frozen=True)
class BudgetReached(QueuedEvent):
    """MAX_CHARACTERS_PER_DAY was reached on `day` (UTC): documents wait until `resumes_at`. One a day (its id is
    the day's)."""

    day: str
    cap: int
    spent: int  # charged by today's finished jobs plus the estimate of those in flight
    reached_at: datetime
    resumes_at: datetime
    event_source: str

    @property
    def message_id(self) -> str:
        return hashlib.sha256(json.dumps(["budget-reached", self.day]).encode()).hexdigest()

    def to_cloud_event(self) -> dict[str, Any]:
        return {
            "specversion": SPEC_VERSION,
            "id": self.message_id,
            "source": self.event_source,
            "type": BUDGET_REACHED_TYPE,
            "subject": f"budget/{self.day}",
            "time": _iso(self.reached_at),
            "datacontenttype": "application/json",
            "data": {
                "day": self.day,
                "maxCharactersPerDay": self.cap,
                "charactersSpent": self.spent,
                "reachedAt": _iso(self.reached_at),
                "resumesAt": _iso(self.resumes_at),
            },
        }


def outcome_of(target_statuses: list[str]) -> Outcome:
    """A source document's outcome from its targets' statuses."""
    succeeded = sum(status == "Succeeded" for status in target_statuses)
    if target_statuses and succeeded == len(target_statuses):
        return Outcome.SUCCEEDED
    if succeeded:
        return Outcome.PARTIALLY_SUCCEEDED
    if target_statuses and all(status == "Cancelled" for status in target_statuses):
        return Outcome.CANCELLED
    return Outcome.FAILED


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
