"""The official `azure-ai-translation-document` client drives the emulator unchanged, on both GA api-versions."""

from __future__ import annotations

import io
import time

import pytest
from azure.ai.translation.document import DocumentTranslationClient, SingleDocumentTranslationClient
from azure.ai.translation.document.models import (
    DocumentTranslateContent,
    DocumentTranslationInput,
    TranslationGlossary,
    TranslationTarget,
)
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from pdfminer.high_level import extract_text

from tests.support.emulator import RunningEmulator, serve_emulator
from tests.support.office_documents import (
    build_docx,
    build_pptx,
    build_xlsx,
    docx_structure,
    pptx_structure,
    xlsx_cells,
)
from tests.support.pdf_files import BLOCKS, build_pdf
from tests.support.storage import TestStorage

API_VERSIONS = ["2024-05-01", "2026-03-01"]


def client_for(emulator: RunningEmulator, api_version: str) -> DocumentTranslationClient:
    return DocumentTranslationClient(
        emulator.endpoint, AzureKeyCredential(emulator.key), api_version=api_version, polling_interval=0.1
    )


@pytest.mark.parametrize("api_version", API_VERSIONS)
def test_folder_translation_with_glossary(emulator: RunningEmulator, storage: TestStorage, api_version: str):
    src, tgt, glossaries = (storage.new_container(s) for s in ("src", "tgt", "gl"))
    storage.upload(src, "guide.md", "# Contoso guide\n\nInstall Contoso in 3 steps.\n")
    storage.upload(src, "page.html", "<p>Welcome to <b>Contoso</b></p>")
    storage.upload(glossaries, "terms.csv", "Contoso,Contoso Ltd\n")
    client = client_for(emulator, api_version)

    poller = client.begin_translation(
        storage.container_sas_url(src, "rl"),
        storage.container_sas_url(tgt, "rwl"),
        "ja",
        glossaries=[
            TranslationGlossary(glossary_url=storage.blob_sas_url(glossaries, "terms.csv", "r"), file_format="CSV")
        ],
    )
    documents = list(poller.result())

    assert poller.status() == "Succeeded"
    assert poller.details.documents_total_count == 2
    assert poller.details.documents_succeeded_count == 2
    assert poller.details.total_characters_charged > 0
    assert sorted(d.source_document_url.rsplit("/", 1)[1] for d in documents) == ["guide.md", "page.html"]
    assert {d.translated_to for d in documents} == {"ja"}
    assert all(d.status == "Succeeded" and d.translation_progress == 1 for d in documents)
    assert "Contoso Ltd" in storage.download(tgt, "guide.md").decode()
    assert storage.download(tgt, "page.html").decode().startswith("<p>[ja] ")


@pytest.mark.parametrize("api_version", API_VERSIONS)
def test_file_inputs_and_status_routes(emulator: RunningEmulator, storage: TestStorage, api_version: str):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "a.txt", "First document")
    storage.upload(src, "b.csv", "name,qty\nbolt,4\n")
    client = client_for(emulator, api_version)
    inputs = [
        DocumentTranslationInput(
            storage.blob_sas_url(src, name, "r"),
            [
                TranslationTarget(storage.container_sas_url(tgt, "rwl", name=f"{lang}-{name}"), lang)
                for lang in ("fr", "es")
            ],
            storage_type="File",
        )
        for name in ("a.txt", "b.csv")
    ]
    poller = client.begin_translation(inputs)
    results = list(poller.result())
    assert len(results) == 4
    assert sorted(storage.blob_names(tgt)) == ["es-a.txt", "es-b.csv", "fr-a.txt", "fr-b.csv"]

    (listed,) = client.list_translation_statuses(translation_ids=[poller.id])
    assert listed.id == poller.id
    assert listed.status == "Succeeded"
    assert [t.id for t in client.list_translation_statuses(translation_ids=[poller.id], statuses=["Succeeded"])] == [
        poller.id
    ]
    recent = list(client.list_translation_statuses(order_by=["created_on asc"], top=200))
    assert poller.id in {t.id for t in recent}

    statuses = list(client.list_document_statuses(poller.id))
    assert len(statuses) == 4
    one = client.get_document_status(poller.id, statuses[0].id)
    assert one.id == statuses[0].id
    assert one.source_document_url == statuses[0].source_document_url
    assert client.get_translation_status(poller.id).summary["total"] == 4

    resumed = client.begin_translation(continuation_token=poller.id)
    assert len(list(resumed.result())) == 4


@pytest.mark.parametrize("api_version", API_VERSIONS)
def test_the_client_sees_only_the_first_page_as_it_does_against_the_service(
    emulator: RunningEmulator, storage: TestStorage, api_version: str
):
    """The service (and so the emulator) links pages with `@nextLink` (recorded: test_list_translations.json); the
    2.0.0 client reads `nextLink`, so it stops after the first page of 50, against Azure as here."""
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    for i in range(60):
        storage.upload(src, f"{i:02}.txt", f"Line {i}")
    client = client_for(emulator, api_version)
    poller = client.begin_translation(storage.container_sas_url(src, "rl"), storage.container_sas_url(tgt, "rwl"), "de")
    poller.result()
    statuses = list(client.list_document_statuses(poller.id, order_by=["created_on asc"]))
    assert len(statuses) == 50  # the default page
    assert len({s.id for s in statuses}) == 50
    assert len(list(client.list_document_statuses(poller.id, skip=10, top=45))) == 45  # one page
    assert len(list(client.list_document_statuses(poller.id, skip=55))) == 5  # the rest, asked for directly


@pytest.mark.parametrize("api_version", API_VERSIONS)
def test_formats(emulator: RunningEmulator, api_version: str):
    client = client_for(emulator, api_version)
    documents = {f.file_format: f for f in client.get_supported_document_formats()}
    assert ".txt" in documents["PlainText"].file_extensions
    assert "text/html" in documents["HtmlFile"].content_types
    assert {f.file_format for f in client.get_supported_glossary_formats()} == {"XLIFF", "TSV", "CSV"}
    assert documents["XLIFF"].default_format_version == "1.2"


@pytest.mark.parametrize("api_version", API_VERSIONS)
def test_cancel_translation(azurite, storage: TestStorage, api_version: str):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    for i in range(5):
        storage.upload(src, f"{i}.txt", "y" * 50)
    with serve_emulator(workers=1, chars_per_second=250) as emulator:
        client = client_for(emulator, api_version)
        source, target = storage.container_sas_url(src, "rl"), storage.container_sas_url(tgt, "rwl")
        poller = client.begin_translation(source, target, "it")
        client.cancel_translation(poller.id)
        poller.wait()  # the client's poller treats Cancelling as done
        # The client reports the service's Cancelled/Cancelling as Canceled/Canceling.
        deadline = time.monotonic() + 30
        while client.get_translation_status(poller.id).status != "Canceled":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        status = client.get_translation_status(poller.id)
        assert status.documents_canceled_count >= 3
        assert status.documents_canceled_count + status.documents_succeeded_count == 5
        client.cancel_translation(poller.id)  # an ended job: the service answers 200 and changes nothing
        assert client.get_translation_status(poller.id).documents_canceled_count == status.documents_canceled_count


@pytest.mark.parametrize("api_version", API_VERSIONS)
def test_validation_failure_and_missing_job_raise_client_errors(emulator, storage: TestStorage, api_version: str):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "a.txt", "Hello")
    storage.upload(tgt, "a.txt", "already here")
    client = client_for(emulator, api_version)
    poller = client.begin_translation(storage.container_sas_url(src, "rl"), storage.container_sas_url(tgt, "rwl"), "fr")
    with pytest.raises(HttpResponseError) as error:
        poller.result()
    assert error.value.error.code == "TargetFileAlreadyExists"
    with pytest.raises(ResourceNotFoundError):
        client.get_translation_status("00000000-0000-0000-0000-000000000000")


@pytest.mark.parametrize("api_version", API_VERSIONS)
def test_office_folder_is_translated_and_corrupt_or_encrypted_files_fail_alone(
    emulator: RunningEmulator, storage: TestStorage, api_version: str
):
    src, tgt = storage.new_container("office"), storage.new_container("office-out")
    storage.upload(src, "report.docx", build_docx())
    storage.upload(src, "deck.pptx", build_pptx())
    storage.upload(src, "sales.xlsx", build_xlsx())
    storage.upload(src, "broken.docx", b"PK\x03\x04 truncated")
    storage.upload(src, "locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))  # an encrypted package
    client = client_for(emulator, api_version)

    poller = client.begin_translation(storage.container_sas_url(src, "rl"), storage.container_sas_url(tgt, "rwl"), "de")
    documents = {d.source_document_url.rsplit("/", 1)[1]: d for d in poller.result()}

    assert poller.status() == "Succeeded"
    assert {name: d.status for name, d in documents.items()} == {
        "report.docx": "Succeeded",
        "deck.pptx": "Succeeded",
        "sales.xlsx": "Succeeded",
        "broken.docx": "Failed",
        "locked.xlsx": "Failed",
    }
    assert documents["broken.docx"].error.code == "InvalidDocument"
    assert documents["locked.xlsx"].error.code == "UnsupportedDocument"
    assert docx_structure(storage.download(tgt, "report.docx"))["header"].startswith("[de] ")
    assert pptx_structure(storage.download(tgt, "deck.pptx"))["notes"].startswith("[de] ")
    assert xlsx_cells(storage.download(tgt, "sales.xlsx"))["values"][("Notes", "A1")].startswith("[de] ")


@pytest.mark.parametrize("api_version", API_VERSIONS)
def test_pdf_is_translated_in_place_by_batch_and_single_document_and_a_locked_one_fails_alone(
    emulator: RunningEmulator, storage: TestStorage, api_version: str
):
    src, tgt = storage.new_container("pdf"), storage.new_container("pdf-out")
    storage.upload(src, "report.pdf", build_pdf())
    storage.upload(src, "locked.pdf", build_pdf(encrypt="secret"))
    poller = client_for(emulator, api_version).begin_translation(
        storage.container_sas_url(src, "rl"), storage.container_sas_url(tgt, "rwl"), "de"
    )
    documents = {d.source_document_url.rsplit("/", 1)[1]: d for d in poller.result()}
    assert {name: d.status for name, d in documents.items()} == {"report.pdf": "Succeeded", "locked.pdf": "Failed"}
    assert documents["locked.pdf"].error.code == "UnsupportedDocument"
    assert documents["report.pdf"].characters_charged == sum(len(text) for text in BLOCKS)
    batch = storage.download(tgt, "report.pdf")
    assert pdf_text(batch).startswith("[de] Qûåŕtéŕļý ŕépöŕt\n")
    assert "Quarterly" not in pdf_text(batch)

    single = single_client_for(emulator, api_version).translate(
        body=DocumentTranslateContent(document=("report.pdf", build_pdf(), "application/pdf")), target_language="de"
    )
    assert pdf_text(single) == pdf_text(batch)


def pdf_text(data: bytes) -> str:
    return extract_text(io.BytesIO(data))


def single_client_for(emulator: RunningEmulator, api_version: str) -> SingleDocumentTranslationClient:
    return SingleDocumentTranslationClient(emulator.endpoint, AzureKeyCredential(emulator.key), api_version=api_version)


@pytest.mark.parametrize("api_version", API_VERSIONS)
def test_single_document_translation_with_a_glossary(emulator: RunningEmulator, api_version: str):
    """As test_single_document_translation.pyTestSingleDocumentTranslationtest_translate_single_csv_glossary.json
    records: the part's content type says text/html, its name .txt; the glossary keeps `test`; X-Metered-Usage 15."""
    client = single_client_for(emulator, api_version)
    content = DocumentTranslateContent(
        document=("test-input.txt", b"This is a test.\n", "text/html"),
        glossary=[("test-glossary.csv", b"test,test\n", "text/csv")],
    )
    usage: list[str] = []
    translated = client.translate(
        body=content,
        target_language="hi",
        raw_response_hook=lambda response: usage.append(response.http_response.headers["X-Metered-Usage"]),
    )
    assert translated.decode() == "[hi] Thîš îš å test.\n"
    assert usage == ["15"]


@pytest.mark.parametrize("api_version", API_VERSIONS)
def test_single_document_translation_of_a_docx_keeps_its_structure(emulator: RunningEmulator, api_version: str):
    client = single_client_for(emulator, api_version)
    original = build_docx()
    content = DocumentTranslateContent(document=("report.docx", original, "application/octet-stream"))
    translated = client.translate(body=content, target_language="de")
    assert len(docx_structure(translated)["paragraphs"]) == len(docx_structure(original)["paragraphs"])
    assert docx_structure(translated)["paragraphs"][0][0][0].startswith("[de] ")


def test_two_glossaries_are_refused_as_recorded(emulator: RunningEmulator):
    """As test_translate_multiple_csv_glossary.json records: 400 MaxGlossaryFilesExceeded, target GlossaryBodies."""
    client = single_client_for(emulator, "2024-05-01")
    glossary = ("test-glossary.csv", b"test,test\n", "text/csv")
    content = DocumentTranslateContent(
        document=("test-input.txt", b"This is a test.\n", "text/html"), glossary=[glossary, glossary]
    )
    with pytest.raises(HttpResponseError) as error:
        client.translate(body=content, target_language="hi")
    assert error.value.status_code == 400
    assert error.value.error.code == "InvalidRequest"
    assert error.value.response.json()["error"]["innerError"]["code"] == "MaxGlossaryFilesExceeded"
    assert error.value.error.target == "GlossaryBodies"


def test_a_single_document_without_text_is_a_400_naming_the_reason(emulator: RunningEmulator):
    client = single_client_for(emulator, "2024-05-01")
    content = DocumentTranslateContent(document=("empty.txt", b"   \n", "text/plain"))
    with pytest.raises(HttpResponseError) as error:
        client.translate(body=content, target_language="fr")
    assert error.value.response.json()["error"]["innerError"]["code"] == "NoTranslatableText"
