"""The argos engine behind the real HTTP API (its Argos Translate calls go to a test double: no model here)."""

from __future__ import annotations

from tests.support.argos_double import installed_argos
from tests.support.emulator import serve_emulator
from tests.support.office_documents import build_docx, docx_structure
from tests.support.storage import TestStorage
from tests.support.translator_api import TranslatorApi, file_input


def test_argos_translates_documents_and_fails_an_unsupported_pair_per_document(storage: TestStorage):
    src, tgt = storage.new_container("argos-src"), storage.new_container("argos-tgt")
    storage.upload(src, "note.txt", "Good morning.")
    storage.upload(src, "report.docx", build_docx())
    source = lambda name: storage.blob_sas_url(src, name, "r")  # noqa: E731
    target = lambda name: storage.blob_sas_url(tgt, name, "rw")  # noqa: E731

    with installed_argos({("en", "de")}), serve_emulator(engine="argos") as emulator:
        api = TranslatorApi(emulator)
        job_id = api.start(
            {
                "inputs": [
                    file_input(source("note.txt"), [(target("de/note.txt"), "de"), (target("ja/note.txt"), "ja")]),
                    file_input(source("report.docx"), [(target("de/report.docx"), "de")]),
                ]
            }
        )
        status = api.wait(job_id)
        documents = {
            (document["sourcePath"].rsplit("/", 1)[1], document["to"]): document for document in api.documents(job_id)
        }

    assert status["status"] == "Succeeded"
    assert status["summary"]["success"] == 2
    assert status["summary"]["failed"] == 1
    assert documents[("note.txt", "ja")]["error"]["innerError"]["code"] == "UnsupportedLanguagePair"
    assert "path" not in documents[("note.txt", "ja")]  # a failed document has none, as recorded
    assert storage.download(tgt, "de/note.txt").decode() == "<en-de>GOOD MORNING."
    assert docx_structure(storage.download(tgt, "de/report.docx"))["header"] == "<en-de>CONFIDENTIAL HEADER"
