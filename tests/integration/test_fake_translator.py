"""One contract, two Translators: the crash explorer's in-process fake (on the memory blob store) and the emulator
(through the app's real client, on Azurite) must give the app the same answers to the calls it makes. When the
emulator changes to follow the real service (issue 17), this test makes the fake follow."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from shared.errors import JobNotFound
from shared.memory_blobs import MemoryBlobStore
from shared.storage import BlobPath
from shared.translator import DocumentInput, JobStatus, Target, TranslatorClient
from tests.support.emulator import RunningEmulator
from tests.support.fake_translator import FakeTranslator
from tests.support.storage import TestStorage


@dataclass
class Side:
    translator: TranslatorClient | FakeTranslator
    source: str
    target: str
    put: Callable[[BlobPath, bytes], None]
    read: Callable[[BlobPath], bytes | None]
    source_url: Callable[[BlobPath], str]
    target_url: Callable[[BlobPath], str]
    path_of: Callable[[str], BlobPath | None]

    def body(self, names: list[str], languages: tuple[str, ...]) -> list[DocumentInput]:
        return [
            DocumentInput(
                self.source_url(BlobPath(self.source, name)),
                tuple(Target(self.target_url(BlobPath(self.target, f"{lang}/{name}")), lang) for lang in languages),
            )
            for name in names
        ]

    def wait(self, job_id: str) -> JobStatus:
        deadline = time.monotonic() + 60
        while not (status := self.translator.get_job(job_id)).is_terminal:
            assert time.monotonic() < deadline, f"job {job_id} still {status.status}"
            time.sleep(0.05)
        return status


@pytest.fixture(params=["emulator", "fake"])
def side(request, emulator: RunningEmulator, storage: TestStorage) -> Iterator[Side]:
    if request.param == "fake":
        blobs = MemoryBlobStore()
        yield Side(
            FakeTranslator(blobs, lambda: datetime.now(UTC)),
            "inbox",
            "translated",
            lambda path, data: blobs.upload(path, data),
            blobs.download,
            blobs.url,
            blobs.url,
            blobs.path_of,
        )
        return
    source, target = storage.new_container("inbox"), storage.new_container("translated")

    def read(path: BlobPath) -> bytes | None:
        return storage.download(path.container, path.name) if storage.exists(path.container, path.name) else None

    def path_of(url: str) -> BlobPath | None:
        parts = url.split("?")[0].split("/")
        return BlobPath(parts[4], "/".join(parts[5:])) if len(parts) > 5 else None

    yield Side(
        TranslatorClient(endpoint=emulator.endpoint, api_version="2024-05-01", key=emulator.key),
        source,
        target,
        lambda path, data: storage.upload(path.container, path.name, data),
        read,
        lambda path: storage.blob_sas_url(path.container, path.name, "r"),
        lambda path: storage.blob_sas_url(path.container, path.name, "rw"),
        path_of,
    )


def test_a_job_translates_every_document_into_every_language(side: Side):
    for name in ("a.txt", "b.txt"):
        side.put(BlobPath(side.source, name), f"Text of {name}.".encode())
    job_id = side.translator.begin_batch(side.body(["a.txt", "b.txt"], ("fr", "de")))

    status = side.wait(job_id)

    assert (status.status, status.error) == ("Succeeded", None)
    assert (status.summary["total"], status.summary["success"], status.summary["failed"]) == (4, 4, 0)
    documents = side.translator.list_documents(job_id)
    assert sorted((side.path_of(doc.source_url).name, doc.language, doc.status) for doc in documents) == [
        (name, language, "Succeeded") for name in ("a.txt", "b.txt") for language in ("de", "fr")
    ]
    assert all(doc.characters > 0 for doc in documents)
    assert len(side.translator.list_documents(job_id, statuses=("Succeeded",))) == 4
    assert side.translator.list_documents(job_id, statuses=("Failed", "Cancelled")) == []
    for language in ("fr", "de"):
        output = side.read(BlobPath(side.target, f"{language}/a.txt"))
        assert output
        assert output != b"Text of a.txt."
    assert [found.id for found in side.translator.get_jobs([job_id, str(uuid.uuid4())])] == [job_id]
    since = status.created - timedelta(minutes=1)
    assert job_id in {job.id for job in side.translator.list_jobs_created_since(since)}


def test_an_existing_target_fails_the_job_validation_and_nothing_is_overwritten(side: Side):
    side.put(BlobPath(side.source, "a.txt"), b"Source.")
    side.put(BlobPath(side.target, "fr/a.txt"), b"someone else's")
    job_id = side.translator.begin_batch(side.body(["a.txt"], ("fr",)))

    status = side.wait(job_id)

    assert status.status == "ValidationFailed"
    assert status.error is not None
    assert status.error.code == "TargetFileAlreadyExists"
    assert side.read(BlobPath(side.target, "fr/a.txt")) == b"someone else's"


def test_unknown_jobs_and_cancelling_an_ended_job(side: Side):
    with pytest.raises(JobNotFound):
        side.translator.get_job(str(uuid.uuid4()))
    side.put(BlobPath(side.source, "a.txt"), b"Source.")
    job_id = side.translator.begin_batch(side.body(["a.txt"], ("fr",)))
    ended = side.wait(job_id)
    side.translator.cancel_job(job_id)  # an ended job: 200, nothing changes (as the service answers)
    assert side.translator.get_job(job_id).status == ended.status == "Succeeded"
    assert {".txt", ".docx", ".xlsx", ".pptx"} <= side.translator.supported_extensions()
