"""Restart-safe job state (`--state-dir`): jobs and document statuses in SQLite, from the standard library.

An unfinished job also keeps its plan (source and target URLs with their SAS, glossaries) so that it can resume after
a restart; the plan is dropped as soon as the job ends, so the state file keeps no SAS longer than needed.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from devstack.emulator.blobs import parse_location
from devstack.emulator.errors import ErrorDetail
from devstack.emulator.jobs import DocumentRecord, GlossaryRef, Job, SourceDocument, Status, TargetSpec

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, created TEXT NOT NULL, status TEXT NOT NULL, last_action TEXT NOT NULL,
    error TEXT, plan TEXT
);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, job_id TEXT NOT NULL, position INTEGER NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL,
    language TEXT NOT NULL, created TEXT NOT NULL, status TEXT NOT NULL, last_action TEXT NOT NULL,
    progress REAL NOT NULL, characters INTEGER NOT NULL, error TEXT
);
CREATE INDEX IF NOT EXISTS documents_by_job ON documents (job_id, position);
"""


class JobJournal:
    """Every change to a job or a document status is written before the API can report it."""

    FILE_NAME = "emulator-jobs.sqlite3"

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = sqlite3.connect(directory / self.FILE_NAME, check_same_thread=False)
        self._db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" + _SCHEMA)

    def close(self) -> None:
        """Stop writing (threads still finishing a document after shutdown are ignored; the job resumes instead)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def add(self, job: Job) -> None:
        rows = [_document_row(job.id, position, record) for position, record in enumerate(job.documents)]
        with self._lock:
            if self._db is None:
                return
            with self._db:
                self._db.execute("INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?)", _job_row(job))
                self._db.executemany("INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def save(self, job: Job, records: Iterable[DocumentRecord]) -> None:
        updates = [
            (r.status.value, r.last_action.isoformat(), r.progress, r.characters_charged, _error(r.error), r.id)
            for r in records
        ]
        with self._lock:
            if self._db is None:
                return
            with self._db:
                self._db.execute(
                    "UPDATE jobs SET status = ?, last_action = ?, error = ?, plan = ? WHERE id = ?",
                    (*_job_row(job)[2:], job.id),
                )
                self._db.executemany(
                    "UPDATE documents SET status = ?, last_action = ?, progress = ?, characters = ?, error = ?"
                    " WHERE id = ?",
                    updates,
                )

    def load(self) -> list[Job]:
        with self._lock:
            if self._db is None:
                raise RuntimeError("the job journal is closed")
            jobs = self._db.execute("SELECT id, created, status, last_action, error, plan FROM jobs").fetchall()
            documents = self._db.execute(
                "SELECT id, job_id, source, target, language, created, status, last_action, progress, characters,"
                " error FROM documents ORDER BY job_id, position"
            ).fetchall()
        by_job: dict[str, list[DocumentRecord]] = {}
        for row in documents:
            by_job.setdefault(row[1], []).append(_record(row))
        return [_job(row, by_job.get(row[0], [])) for row in jobs]


def _job_row(job: Job) -> tuple[Any, ...]:
    plan = None if job.status.is_terminal else json.dumps([_source_plan(source) for source in job.sources])
    return (job.id, job.created.isoformat(), job.status.value, job.last_action.isoformat(), _error(job.error), plan)


def _source_plan(source: SourceDocument) -> dict[str, Any]:
    return {
        "url": source.location.url(),
        "size": source.size,
        "language": source.source_language,
        "translations": [
            {
                "document": record.id,
                "target": record.target.url(),
                "language": target.language,
                "glossaries": [[glossary.location.url(), glossary.file_format] for glossary in target.glossaries],
                "deploymentName": target.deployment_name,
            }
            for record, target in source.translations
        ],
    }


def _document_row(job_id: str, position: int, record: DocumentRecord) -> tuple[Any, ...]:
    return (
        record.id,
        job_id,
        position,
        record.source.public_url,
        record.target.public_url,
        record.language,
        record.created.isoformat(),
        record.status.value,
        record.last_action.isoformat(),
        record.progress,
        record.characters_charged,
        _error(record.error),
    )


def _error(error: ErrorDetail | None) -> str | None:
    return json.dumps(asdict(error)) if error else None


def _parse_error(text: str | None) -> ErrorDetail | None:
    return ErrorDetail(**json.loads(text)) if text else None


def _record(row: tuple[Any, ...]) -> DocumentRecord:
    document_id, _, source, target, language, created, status, last_action, progress, characters, error = row
    return DocumentRecord(
        id=document_id,
        source=parse_location(source),
        target=parse_location(target),
        language=language,
        created=datetime.fromisoformat(created),
        status=Status(status),
        last_action=datetime.fromisoformat(last_action),
        progress=progress,
        characters_charged=characters,
        error=_parse_error(error),
    )


def _job(row: tuple[Any, ...], records: list[DocumentRecord]) -> Job:
    job_id, created, status, last_action, error, plan = row
    job = Job(
        id=job_id,
        created=datetime.fromisoformat(created),
        status=Status(status),
        last_action=datetime.fromisoformat(last_action),
        error=_parse_error(error),
    )
    if plan is None:
        job.documents = records
        return job
    by_id = {record.id: record for record in records}
    sources = []
    for item in json.loads(plan):
        translations = []
        for entry in item["translations"]:
            record = by_id[entry["document"]]
            record.source, record.target = parse_location(item["url"]), parse_location(entry["target"])
            glossaries = tuple(GlossaryRef(parse_location(url), kind) for url, kind in entry["glossaries"])
            deployment = entry.get("deploymentName")
            record.deployment_name = deployment
            translations.append((record, TargetSpec(record.target, entry["language"], glossaries, deployment)))
        sources.append(SourceDocument(parse_location(item["url"]), item["size"], item["language"], tuple(translations)))
    job.set_sources(sources)
    return job
