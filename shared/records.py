"""The state records kept in the Table: documents, the inbox of work waiting to be submitted, batches and jobs."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import MISSING, dataclass, fields
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from types import UnionType
from typing import Any, Self, Union, get_args, get_origin, get_type_hints

# A Table string property holds at most 64 KiB (32 K UTF-16 code units). Longer strings (a message or the targets of
# a document with a long CJK name in ten languages) are kept in parts: `Message`, `Message_Part1`, ... Code points,
# not code units, are counted: 16,000 of them are at most 32,000 UTF-16 units.
PROPERTY_CHARS = 16_000
PART_SUFFIX = "_Part"


def utc_now() -> datetime:
    return datetime.now(UTC)


def day_of(moment: datetime) -> str:
    """The UTC day of a moment, as `YYYY-MM-DD`."""
    return moment.astimezone(UTC).date().isoformat()


def document_key(container: str, name: str, etag: str) -> str:
    """The idempotency key of one version of one blob: derived, never random."""
    return _digest("document", container, name, etag.strip('"'))


def reuse_key(
    content_hash: str, size: int, languages: tuple[str, ...], source_language: str | None, glossaries: list[str]
) -> str:
    """What makes two translations the same: the bytes, the target languages, the source language and the exact
    glossary versions (`name@etag` per language)."""
    return _digest("content", content_hash, str(size), *sorted(languages), source_language or "", *glossaries)


def name_key(container: str, name: str) -> str:
    return _digest("name", container, name)


def _digest(scope: str, *parts: str) -> str:
    return hashlib.sha256(json.dumps([scope, *parts]).encode()).hexdigest()[:40]


class DocumentState(StrEnum):
    RECEIVED = "Received"  # recorded, waiting in the inbox to be submitted
    SUBMITTED = "Submitted"  # part of a translation job
    COMPLETED = "Completed"  # the job ended and the outcome was announced
    REJECTED = "Rejected"  # refused before submission; the reason was announced


class BatchState(StrEnum):
    CLAIMED = "Claimed"  # documents claimed, nothing sent yet
    POSTING = "Posting"  # the POST is under way: a job may exist even if we never learn its id
    UNCERTAIN = "Uncertain"  # the POST failed in a way that may have created a job
    SUBMITTED = "Submitted"  # the job id is known; bookkeeping may still be finishing


class JobState(StrEnum):
    ACTIVE = "Active"
    ANNOUNCED = "Announced"


@dataclass(kw_only=True)
class Record:
    """A Table entity as a dataclass: snake_case fields become PascalCase properties; `etag` is the entity's ETag."""

    key: str  # the RowKey
    etag: str | None = None

    PARTITION = ""

    def to_entity(self) -> dict[str, Any]:
        entity: dict[str, Any] = {"PartitionKey": self.PARTITION, "RowKey": self.key}
        for item in fields(self):
            if item.name in ("etag", "key") or item.name.startswith("_"):
                continue
            entity[_pascal(item.name)] = _to_wire(getattr(self, item.name))
        return split_long_strings(entity)

    @classmethod
    def from_entity(cls, entity: dict[str, Any], etag: str | None = None) -> Self:
        hints = _hints(cls)
        values: dict[str, Any] = {}
        for item in fields(cls):
            if item.name == "etag":
                continue
            if item.name == "key":
                values["key"] = entity["RowKey"]
                continue
            raw = _joined(entity, _pascal(item.name))
            if raw is None and item.name in cls._defaults():
                continue
            values[item.name] = _from_wire(raw, hints[item.name])
        return cls(**values, etag=etag)

    @classmethod
    @cache
    def _defaults(cls) -> frozenset[str]:
        return frozenset(
            item.name for item in fields(cls) if item.default is not MISSING or item.default_factory is not MISSING
        )


@dataclass(kw_only=True)
class SourceVersion(Record):
    """The facts about one version (ETag) of one source blob that every stage carries along."""

    container: str
    name: str
    source_etag: str
    bytes: int
    languages: tuple[str, ...]
    received_at: datetime
    source_language: str | None = None
    replaces: str | None = None  # key of the previous version of this name, whose outputs get replaced
    refused_languages: tuple[str, ...] = ()  # target languages the Translator refused: announced Failed, not submitted
    content_hash: str | None = None  # `md5:<base64>` or `sha256:<hex>` of the bytes, when translations are reused
    reuse_key: str | None = None  # the ContentRecord this version is translated for (set when it is selected)

    @property
    def wanted_languages(self) -> tuple[str, ...]:
        """The target languages still to submit: all of them but those the Translator refused."""
        return tuple(language for language in self.languages if language not in self.refused_languages)

    def version_fields(self) -> dict[str, Any]:
        return {item.name: getattr(self, item.name) for item in fields(SourceVersion) if item.name != "etag"}


@dataclass(kw_only=True)
class DocumentRecord(SourceVersion):
    """One version of one source blob, from receipt to announcement."""

    PARTITION = "document"
    content_type: str
    state: DocumentState
    job_id: str | None = None
    submitted_at: datetime | None = None
    completed_at: datetime | None = None
    outcome: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    message_id: str | None = None
    targets: list[dict[str, Any]] | None = None


@dataclass(kw_only=True)
class InboxEntry(SourceVersion):
    """A recorded document waiting to be submitted; its claim says which batch is taking it and until when."""

    PARTITION = "inbox"
    claim_id: str | None = None
    claim_expires: datetime | None = None
    not_before: datetime | None = None
    attempts: int = 0
    waiting_for: str | None = None  # why it is not claimable before `not_before`: "budget" (MAX_CHARACTERS_PER_DAY)

    def is_claimable(self, now: datetime) -> bool:
        return self.claim_id is None and (self.not_before is None or self.not_before <= now)


@dataclass(kw_only=True)
class BatchRecord(Record):
    """A set of claimed documents on their way to becoming one job."""

    PARTITION = "batch"
    state: BatchState
    created_at: datetime
    claim_expires: datetime
    document_count: int
    job_id: str | None = None

    def is_expired(self, now: datetime) -> bool:
        return self.claim_expires <= now


@dataclass(kw_only=True)
class BatchMember(SourceVersion):
    """One document of a batch, kept in the batch's own partition so a job maps back to its sources."""

    batch_id: str

    def to_entity(self) -> dict[str, Any]:
        entity = super().to_entity()
        entity["PartitionKey"] = member_partition(self.batch_id)
        return entity


def member_partition(batch_id: str) -> str:
    return f"batch-{batch_id}"


@dataclass(kw_only=True)
class JobRecord(Record):
    """A translation job the poller watches until it ends and its documents are announced. Active jobs live in
    their own partition, so each tick reads only those, however many jobs have finished before."""

    PARTITION = "job"
    FINISHED_PARTITION = "job-finished"
    batch_id: str
    state: JobState
    status: str
    created_at: datetime
    next_poll_at: datetime
    document_count: int
    summary: dict[str, int] | None = None
    completed_at: datetime | None = None
    announced: str | None = None  # members announced while the job ran: a bitmap over their keys in order (base64)
    ended_seen_at: datetime | None = None  # first poll that saw the job ended while its document list still lagged
    charge_day: str | None = None  # the UTC day its batch was booked on, under a spending cap (a ChargeRecord)
    expired_at: datetime | None = None  # pruned after RETENTION_DAYS: only this much is left, for the status endpoint

    def announced_keys(self, members: list[BatchMember]) -> set[str]:
        bits = base64.b64decode(self.announced or "")
        ordered = sorted(member.key for member in members)
        return {key for index, key in enumerate(ordered) if index < 8 * len(bits) and bits[index // 8] >> index % 8 & 1}

    def mark_announced(self, members: list[BatchMember], keys: set[str]) -> None:
        ordered = sorted(member.key for member in members)
        bits = bytearray(base64.b64decode(self.announced or "").ljust((len(ordered) + 7) // 8, b"\0"))
        for index, key in enumerate(ordered):
            if key in keys:
                bits[index // 8] |= 1 << index % 8
        self.announced = base64.b64encode(bytes(bits)).decode()

    def to_entity(self) -> dict[str, Any]:
        entity = super().to_entity()
        if self.state is JobState.ANNOUNCED:
            entity["PartitionKey"] = self.FINISHED_PARTITION
        return entity


@dataclass(kw_only=True)
class OutboxEntry(Record):
    """A completion message recorded before its document counts as announced; deleted once the publisher function
    has it. The key is the message id."""

    PARTITION = "outbox"
    message: str
    requested_at: datetime


@dataclass(kw_only=True)
class Lease(Record):
    """The single submitter lease: who holds it and until when."""

    PARTITION = "lease"
    holder: str
    expires: datetime


@dataclass(kw_only=True)
class NamePointer(Record):
    """The latest recorded version of a blob name, for status lookups by name."""

    PARTITION = "name"
    container: str
    name: str
    document_key: str
    received_at: datetime
    expired_at: datetime | None = None  # its version was pruned after RETENTION_DAYS: status says "Expired"


@dataclass(kw_only=True)
class ContentRecord(Record):
    """The one document version translated for a given content and request (`reuse_key`): while it is in flight,
    identical versions wait; once it succeeded, `outputs` (language -> container, name, ETag) are copied for them."""

    PARTITION = "content"
    document_key: str
    recorded_at: datetime
    outputs: dict[str, dict[str, str]] | None = None
    job_id: str | None = None


@dataclass(kw_only=True)
class ChargeRecord(Record):
    """What one batch costs the day it was posted, under MAX_CHARACTERS_PER_DAY: its estimate until its job ends,
    then what the job was charged. Kept in a partition per UTC day, so today's spending is one query. Key: batch id."""

    PARTITION = "charges"
    day: str  # YYYY-MM-DD
    estimated: int
    charged: int | None = None

    @property
    def characters(self) -> int:
        return self.estimated if self.charged is None else self.charged

    def to_entity(self) -> dict[str, Any]:
        entity = super().to_entity()
        entity["PartitionKey"] = charge_partition(self.day)
        return entity


def charge_partition(day: str) -> str:
    return f"{ChargeRecord.PARTITION}-{day}"


@dataclass(kw_only=True)
class BudgetDay(Record):
    """A UTC day on which the spending cap was reached, written once its BudgetReached message is in the outbox.
    Key: the day (YYYY-MM-DD)."""

    PARTITION = "budget"
    reached_at: datetime


class Ended(StrEnum):
    """What an `EndedEntry` points at."""

    DOCUMENT = "document"  # an announced document version (DocumentRecord)
    JOB = "job"  # an announced job (JobRecord in job-finished) and its batch members
    EXPIRED_NAME = "expired-name"  # a name pointer left saying "expired"
    EXPIRED_JOB = "expired-job"  # a job record left saying "expired"


@dataclass(kw_only=True)
class EndedEntry(Record):
    """The retention index: something that ended on `day` (UTC), pruned once it is RETENTION_DAYS old. One partition
    per day, so the pruner reads only what is due. Key: `{kind}:{target}`."""

    PARTITION = "ended"
    day: str
    kind: Ended
    target: str  # the key of the record it points at
    batch_id: str | None = None  # for a job: whose members go with it

    @classmethod
    def of(cls, kind: Ended, target: str, day: str, batch_id: str | None = None) -> EndedEntry:
        return cls(key=f"{kind.value}:{target}", day=day, kind=kind, target=target, batch_id=batch_id)

    def to_entity(self) -> dict[str, Any]:
        entity = super().to_entity()
        entity["PartitionKey"] = ended_partition(self.day)
        return entity


def ended_partition(day: str) -> str:
    return f"{EndedEntry.PARTITION}-{day}"


@dataclass(kw_only=True)
class RetentionCursor(Record):
    """The oldest UTC day whose `ended-{day}` partition may still hold entries. Key: `cursor`."""

    PARTITION = "retention"
    day: str


def changed_properties(cls: type[Record], changes: dict[str, Any]) -> dict[str, Any]:
    """Field values of `cls` (by field name) as the properties a merge writes; None leaves a property as it is."""
    known = {item.name for item in fields(cls)}
    if unknown := set(changes) - known:
        raise TypeError(f"{cls.__name__} has no fields {sorted(unknown)}")
    return {_pascal(name): _to_wire(value) for name, value in changes.items()}


def split_long_strings(properties: dict[str, Any]) -> dict[str, Any]:
    """Properties with every string longer than one Table property can hold kept in parts (see PROPERTY_CHARS)."""
    split: dict[str, Any] = {}
    for name, value in properties.items():
        if not isinstance(value, str) or len(value) <= PROPERTY_CHARS:
            split[name] = value
            continue
        for index, start in enumerate(range(0, len(value), PROPERTY_CHARS)):
            split[f"{name}{PART_SUFFIX}{index}" if index else name] = value[start : start + PROPERTY_CHARS]
    return split


def _joined(entity: dict[str, Any], name: str) -> Any:
    value = entity.get(name)
    if not isinstance(value, str) or len(value) < PROPERTY_CHARS:
        return value
    parts, index = [value], 1
    while (part := entity.get(f"{name}{PART_SUFFIX}{index}")) is not None:
        parts.append(part)
        index += 1
    return "".join(parts)


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _to_wire(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def _from_wire(raw: Any, hint: Any) -> Any:
    if raw is None:
        return None
    kind = _kind(hint)
    if kind is datetime:
        return datetime.fromisoformat(raw)
    if kind is tuple:
        return tuple(item for item in raw.split(",") if item)
    if kind in (list, dict):
        return json.loads(raw)
    if kind is int or (isinstance(kind, type) and issubclass(kind, StrEnum)):
        return kind(raw)
    return raw


@cache
def _kind(hint: Any) -> Any:
    """The type a field holds: `X | None` is X; `list[...]` is list."""
    if get_origin(hint) in (Union, UnionType):
        (hint,) = (arg for arg in get_args(hint) if arg is not type(None))
    return get_origin(hint) or hint


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)
