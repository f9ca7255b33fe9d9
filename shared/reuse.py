"""Never translate the same content twice. Per content and request (bytes, target languages, source language,
glossary versions) one document version is the one translated, named by a `ContentRecord`: identical versions wait
while it is in flight, and once it succeeded they get server-side copies of its outputs instead of a job. This
module owns the content record's lifecycle; each step is safe to repeat after a crash."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from shared.blob_store import BlobInfo
from shared.errors import StoreError
from shared.logfields import log_fields
from shared.messages import Announcement, Outcome, ReusedFrom, TargetResult
from shared.records import ContentRecord, DocumentRecord, DocumentState, InboxEntry, SourceVersion, reuse_key
from shared.services import Services
from shared.storage import BlobPath

logger = logging.getLogger(__name__)


def fingerprint(services: Services, path: BlobPath, properties: BlobInfo) -> str | None:
    """What the bytes are, as cheaply as storage can say: the Content-MD5 it keeps (free: it came with the properties
    read), else a streamed SHA-256 (one full read of the blob). None when reuse is off or the blob is gone."""
    if not services.settings.reuse_translations:
        return None
    if properties.content_md5:
        return f"md5:{properties.content_md5}"
    digest = services.blobs.sha256(path)
    return f"sha256:{digest}" if digest else None


class Plan(StrEnum):
    TRANSLATE = "translate"  # this version is the one translated for its content (or reuse is off for it)
    WAIT = "wait"  # an identical version is being translated: wait for it
    REUSE = "reuse"  # an identical version was translated: copy its outputs


@dataclass(frozen=True)
class Earlier:
    """The version translated for some content, and its content record."""

    record: ContentRecord
    document: DocumentRecord


@dataclass(frozen=True)
class Decision:
    plan: Plan
    earlier: Earlier | None = None  # set for REUSE


@dataclass(frozen=True)
class Reused:
    """The targets a version got as copies, and whose they are."""

    targets: tuple[TargetResult, ...]
    reused_from: ReusedFrom


@dataclass
class ContentIndex:
    """The content records as one submitter run (or one announcement) sees them."""

    services: Services
    clock: Callable[[], datetime]
    _translating: dict[str, str] = field(default_factory=dict)  # version key -> its reuse key, decided this run
    _prefetched: dict[str, ContentRecord | None] = field(default_factory=dict)
    _taken_over: set[str] = field(default_factory=set)  # versions that took a record over in this pass

    def key_of(self, entry: SourceVersion, glossaries: list[str]) -> str | None:
        """The version's reuse key; None when it is translated on its own (reuse off, or a language refused)."""
        if entry.content_hash is None or entry.refused_languages:
            return None
        return reuse_key(entry.content_hash, entry.bytes, entry.wanted_languages, entry.source_language, glossaries)

    def new_pass(self, keys: dict[str, str]) -> None:
        """Start a selection pass over versions with these reuse keys (version key -> reuse key, oldest first): the
        content records not yet known are read in parallel, and content nobody translates yet is claimed for its oldest
        version in parallel."""
        self._taken_over.clear()
        ledger, now = self.services.ledger, self.clock()
        undecided = {version: key for version, key in keys.items() if self._translating.get(version) != key}
        wanted = sorted(set(undecided.values()))
        with ThreadPoolExecutor(self.services.storage_threads) as pool:
            found = pool.map(lambda key: ledger.get(ContentRecord, key), wanted)
            self._prefetched = dict(zip(wanted, found, strict=True))
            first = {}  # content nobody translates yet: the oldest version of it claims it (insert-once)
            for version, key in undecided.items():
                if self._prefetched[key] is None:
                    first.setdefault(key, version)
            claims = [ContentRecord(key=key, document_key=version, recorded_at=now) for key, version in first.items()]
            for claim, inserted in zip(claims, pool.map(ledger.insert, claims), strict=True):
                if inserted:
                    self._translating[claim.document_key] = claim.key
                    self._prefetched[claim.key] = claim
                else:
                    del self._prefetched[claim.key]  # another run claimed it first: read it when deciding

    def decide(self, entry: InboxEntry, key: str | None) -> Decision:
        """What to do with a waiting version; sets `entry.reuse_key` when it becomes the one translated."""
        if key is None:
            return Decision(Plan.TRANSLATE)
        if self._translating.get(entry.key) == key:  # this run decided so already: nothing can have changed it
            entry.reuse_key = key
            return Decision(Plan.TRANSLATE)
        ledger, now = self.services.ledger, self.clock()
        record = self._prefetched.pop(key) if key in self._prefetched else ledger.get(ContentRecord, key)
        if record is None:
            if ledger.insert(ContentRecord(key=key, document_key=entry.key, recorded_at=now)):
                return self._translate(entry, key)
            record = ledger.get(ContentRecord, key)
            if record is None:
                return Decision(Plan.WAIT)  # inserted and removed meanwhile: decide again next round
        if record.document_key == entry.key:
            return self._translate(entry, key)
        if record.document_key in self._taken_over:
            return Decision(Plan.TRANSLATE)  # the one it would wait for failed before: no chain of one job each
        earlier = ledger.document(record.document_key)
        if earlier is not None and earlier.state is DocumentState.SUBMITTED:
            return Decision(Plan.WAIT)
        waiting = ledger.get(InboxEntry, earlier.key) if earlier and earlier.state is DocumentState.RECEIVED else None
        if waiting is not None:
            refused = tuple(code for code in waiting.refused_languages if code in entry.wanted_languages)
            if not refused:
                return Decision(Plan.WAIT)
            if set(refused) < set(entry.wanted_languages):  # else it is refused itself, and fails as a whole
                entry.refused_languages = (*entry.refused_languages, *refused)  # the same request, refused the same
            return Decision(Plan.TRANSLATE)
        if earlier is not None and _succeeded(earlier) and record.outputs:
            return Decision(Plan.REUSE, Earlier(record, earlier))
        return self._take_over(record, entry)

    def copy_outputs(self, entry: InboxEntry, earlier: Earlier) -> Reused | None:
        """Copy the earlier outputs to this version's targets; None (nothing left behind, and this version becomes
        the one translated) when an output is gone or has changed since."""
        outputs = earlier.record.outputs or {}
        blobs, target_container = self.services.blobs, self.services.settings.target_container
        targets: list[TargetResult] = []
        copied: list[BlobPath] = []
        for language in entry.wanted_languages:
            output = outputs.get(language)
            destination = BlobPath(target_container, f"{language}/{entry.name}")
            if output is None:
                break
            source = BlobPath(output["container"], output["name"])
            if source == destination:  # a re-upload of the same name: its outputs are already in place
                in_place = blobs.etags([source])[source] == output["etag"]
            else:
                in_place = blobs.copy(source, destination, source_etag=output["etag"])
                copied.append(destination)
            if not in_place:
                break
            targets.append(
                TargetResult(language, "Succeeded", destination.container, destination.name, blobs.url(destination))
            )
        if len(targets) < len(entry.wanted_languages):
            for destination in copied:
                blobs.delete(destination)
            logger.info(
                "document %s: the earlier translation of its content is gone or changed; translating it",
                BlobPath(entry.container, entry.name),
                extra=log_fields("document.reuse_unavailable", document=BlobPath(entry.container, entry.name)),
            )
            self._take_over(earlier.record, entry)
            return None
        document = earlier.document
        return Reused(
            tuple(targets), ReusedFrom(document.container, document.name, document.source_etag, earlier.record.job_id)
        )

    def remember(self, documents: list[SourceVersion], announcements: list[Announcement]) -> None:
        """Before translated versions are announced (while they still hold their names' outputs), record their
        outputs' ETags on their content records, so identical versions can copy exactly those. Best effort: a version
        whose outputs are not recorded is simply not reused."""
        translated = [
            (document, announcement)
            for document, announcement in zip(documents, announcements, strict=True)
            if document.reuse_key and announcement.outcome is Outcome.SUCCEEDED and announcement.job_id
        ]
        if not translated:
            return
        try:
            self._remember(translated)
        except StoreError as exc:
            logger.warning(
                "%d documents: their outputs could not be recorded for reuse (%s)",
                len(translated),
                exc,
                extra=log_fields("document.reuse_not_recorded", batch_size=len(translated)),
            )

    def _remember(self, translated: list[tuple[SourceVersion, Announcement]]) -> None:
        ledger = self.services.ledger
        with ThreadPoolExecutor(self.services.storage_threads) as pool:
            records = list(pool.map(lambda item: ledger.get(ContentRecord, item[0].reuse_key or ""), translated))
        pending = [
            (record, announcement)
            for (document, announcement), record in zip(translated, records, strict=True)
            if record is not None and record.document_key == document.key and not record.outputs
        ]
        paths = [BlobPath(t.container, t.name) for _, announcement in pending for t in announcement.targets]
        etags = self.services.blobs.etags(paths)  # one folder listing per language for a burst
        changed: list[ContentRecord] = []
        for record, announcement in pending:
            outputs = {t.language: BlobPath(t.container, t.name) for t in announcement.targets}
            if any(etags[path] is None for path in outputs.values()):
                continue
            record.outputs = {
                language: {"container": path.container, "name": path.name, "etag": etags[path] or ""}
                for language, path in outputs.items()
            }
            record.job_id = announcement.job_id
            changed.append(record)
        ledger.update_all(changed)

    def _translate(self, entry: InboxEntry, key: str) -> Decision:
        entry.reuse_key = key
        self._translating[entry.key] = key
        return Decision(Plan.TRANSLATE)

    def _take_over(self, record: ContentRecord, entry: InboxEntry) -> Decision:
        """The version named failed, was rejected, is gone, or its outputs are: this one is translated instead."""
        record.document_key, record.outputs, record.job_id, record.recorded_at = entry.key, None, None, self.clock()
        if not self.services.ledger.update(record):
            return Decision(Plan.WAIT)  # another run changed it first: decide again next round
        self._taken_over.add(entry.key)
        return self._translate(entry, record.key)


def _succeeded(document: DocumentRecord) -> bool:
    return document.state is DocumentState.COMPLETED and document.outcome == Outcome.SUCCEEDED.value
