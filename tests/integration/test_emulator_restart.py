"""--state-dir: a restarted emulator still knows finished jobs and finishes the unfinished ones; outputs it wrote
before a restart or a lost response count as its own."""

from __future__ import annotations

import io
import time

import pytest

from devstack.emulator.blobs import BlobGateway, parse_location
from devstack.emulator.errors import DocumentFailure
from tests.support.emulator import serve_emulator
from tests.support.storage import TestStorage
from tests.support.translator_api import TranslatorApi, file_input, folder_input


def test_a_restart_in_the_middle_of_a_100_document_job_loses_nothing(storage: TestStorage, tmp_path):
    src, tgt = storage.new_container("restart-src"), storage.new_container("restart-tgt")
    for index in range(100):
        storage.upload(src, f"doc-{index:03}.txt", f"Document number {index} of the batch.")
    storage.upload(src, "early.txt", "Finished before the restart.")
    early_target = storage.blob_sas_url(tgt, "early/early.txt", "rw")
    slow = {"state_dir": str(tmp_path), "chars_per_second": 400.0, "workers": 2}

    with serve_emulator(**slow) as first:
        api = TranslatorApi(first)
        finished = api.start(
            {"inputs": [file_input(storage.blob_sas_url(src, "early.txt", "r"), [(early_target, "fr")])]}
        )
        api.wait(finished)
        job_id = api.start(
            {
                "inputs": [
                    folder_input(
                        storage.container_sas_url(src, "rl"),
                        [(storage.container_sas_url(tgt, "rwl"), "fr")],
                        filter={"prefix": "doc-"},
                    )
                ]
            }
        )
        deadline = time.monotonic() + 30
        while api.status(job_id)["summary"]["success"] < 10:
            assert time.monotonic() < deadline, "the job made no progress"
            time.sleep(0.05)
        before = {document["id"]: document for document in api.documents(job_id)}
    done_before = {doc_id for doc_id, document in before.items() if document["status"] == "Succeeded"}
    assert 10 <= len(done_before) < 100, "the restart should happen in the middle of the job"

    with serve_emulator(**slow) as second:
        api = TranslatorApi(second)
        assert api.status(finished)["status"] == "Succeeded"  # finished jobs are still queryable
        final = api.wait(job_id, timeout=60)
        after = {document["id"]: document for document in api.documents(job_id)}

    assert final["status"] == "Succeeded"
    assert final["summary"]["total"] == 100
    assert final["summary"]["success"] == 100
    assert set(after) == set(before)  # the same document ids
    for doc_id in done_before:
        assert after[doc_id]["lastActionDateTimeUtc"] == before[doc_id]["lastActionDateTimeUtc"]  # not redone
    assert len([name for name in storage.blob_names(tgt) if name.startswith("doc-")]) == 100


def test_the_state_file_keeps_no_sas_once_a_job_ends(storage: TestStorage, tmp_path):
    src, tgt = storage.new_container("sas-src"), storage.new_container("sas-tgt")
    storage.upload(src, "a.txt", "Hello there.")
    with serve_emulator(state_dir=str(tmp_path)) as emulator:
        api = TranslatorApi(emulator)
        api.wait(
            api.start(
                {
                    "inputs": [
                        file_input(
                            storage.blob_sas_url(src, "a.txt", "r"), [(storage.blob_sas_url(tgt, "a.txt", "rw"), "de")]
                        )
                    ]
                }
            )
        )
    state = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert b"sig=" not in state


def test_a_target_the_emulator_wrote_itself_counts_as_written_and_anyone_elses_fails(storage: TestStorage):
    """A write whose response was lost is retried by the storage SDK and meets its own blob (seen with Azurite
    stopped mid-upload): that is success. Any other existing blob is TargetFileAlreadyExists."""
    target = storage.new_container("own-writes")
    location = parse_location(storage.blob_sas_url(target, "fr/a.txt", "rw"))
    gateway = BlobGateway()
    gateway.write_new(location, io.BytesIO(b"first"), length=5, content_type="text/plain", writer="doc-1")

    gateway.write_new(location, io.BytesIO(b"first"), length=5, content_type="text/plain", writer="doc-1")
    with pytest.raises(DocumentFailure, match="already exists"):
        gateway.write_new(location, io.BytesIO(b"other"), length=5, content_type="text/plain", writer="doc-2")
    assert storage.download(target, "fr/a.txt") == b"first"
