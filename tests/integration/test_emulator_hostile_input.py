"""Hostile documents against the emulator over real HTTP: each ends with a specific outcome, none stops the API."""

from __future__ import annotations

import io
import zipfile

import pytest
import requests

from tests.support.emulator import RunningEmulator
from tests.support.office_documents import build_docx
from tests.support.storage import TestStorage
from tests.support.translator_api import TranslatorApi, file_input

MB = 1024 * 1024
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@pytest.fixture
def api(emulator: RunningEmulator) -> TranslatorApi:
    return TranslatorApi(emulator)


def translate(api: TranslatorApi, storage: TestStorage, documents: dict[str, bytes], *, glossary: bytes | None = None):
    """Translate each document into French in one job; returns ({name: document status}, {name: output bytes})."""
    src, tgt = storage.new_container("hostile-src"), storage.new_container("hostile-tgt")
    inputs = []
    for name, data in documents.items():
        storage.upload(src, name, data)
        item = file_input(
            storage.blob_sas_url(src, name, "r"), [(storage.container_sas_url(tgt, "rwl", name=f"fr/{name}"), "fr")]
        )
        if glossary is not None:
            storage.upload(src, "_glossary.tsv", glossary)
            item["targets"][0]["glossaries"] = [
                {"glossaryUrl": storage.blob_sas_url(src, "_glossary.tsv", "r"), "format": "TSV"}
            ]
        inputs.append(item)
    job = api.start({"inputs": inputs})
    health = f"{api.emulator.endpoint}/emulator/health"
    while api.status(job)["status"] not in ("Succeeded", "Failed", "ValidationFailed", "Cancelled"):
        assert requests.get(health, timeout=5).status_code == 200  # the API answers while documents are worked on
    statuses = {doc["sourcePath"].rsplit("/", 1)[1]: doc for doc in api.documents(job)}
    outputs = {
        name: storage.download(tgt, f"fr/{name}")
        for name in documents
        if statuses[name.replace(" ", "%20")]["status"] == "Succeeded"
    }
    return statuses, outputs


def code(status: dict) -> str | None:
    return (status.get("error") or {}).get("innerError", {}).get("code")


def test_inputs_that_made_patterns_quadratic_are_translated_and_the_api_keeps_answering(api, storage):
    documents = {
        "comments.html": b"<p>Hello</p>" + b"<!--" * 60_000,
        "word.txt": b"Hello " + b"a" * 100_000 + b"\n",
        "ticks.md": b"Hello " + b"`](<" * 30_000 + b"\n",
    }
    statuses, outputs = translate(api, storage, documents)
    assert {name: status["status"] for name, status in statuses.items()} == dict.fromkeys(documents, "Succeeded")
    assert outputs["comments.html"].startswith(b"<p>[fr] H")
    assert outputs["comments.html"].endswith(b"<!--" * 1000)
    assert outputs["word.txt"].decode().startswith("[fr] Héļļö ")


def test_a_glossary_over_the_term_limit_fails_with_its_own_code_and_a_large_one_applies(api, storage):
    huge = "".join(f"t{index}\tx\n" for index in range(1_000_000)).encode()
    assert len(huge) < 10 * MB  # under the size cap: only the term count is over
    statuses, _ = translate(api, storage, {"a.txt": b"Hello term7."}, glossary=huge)
    assert code(statuses["a.txt"]) == "GlossaryTooManyTerms"
    large = "".join(f"term{index}\tTERME{index}\n" for index in range(100_000)).encode()
    statuses, outputs = translate(api, storage, {"b.txt": b"Hello term7 and term99999."}, glossary=large)
    assert statuses["b.txt"]["status"] == "Succeeded"
    assert b"TERME7 " in outputs["b.txt"]
    assert b"TERME99999." in outputs["b.txt"]


def zip_bomb_docx() -> bytes:
    """A valid docx whose document.xml inflates to 256 MB of empty paragraphs (about 250 KB compressed)."""
    source = zipfile.ZipFile(io.BytesIO(build_docx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != "word/document.xml":
                target.writestr(info, source.read(info))
                continue
            with target.open("word/document.xml", "w", force_zip64=True) as writer:
                writer.write(f'<w:document xmlns:w="{W_NS}"><w:body>'.encode())
                for _ in range(256):
                    writer.write(b"<w:p/>" * (MB // 6))
                writer.write(b"</w:body></w:document>")
    return out.getvalue()


def docx_with_dtd() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(build_docx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE w:document [<!ENTITY e "Hello">]>', 1)
            target.writestr(info, data)
    return out.getvalue()


def test_broken_documents_fail_with_specific_codes_and_odd_valid_ones_succeed(api, storage):
    big_cell = b'"' + b"Hello " * 35_000 + b'",World\n'  # a 210 KB quoted cell: over csv's default field limit
    documents = {
        "bomb.docx": zip_bomb_docx(),
        "dtd.docx": docx_with_dtd(),
        "cell.csv": big_cell,
        "utf16.txt": "Hello world\r\nSecond line\r\n".encode("utf-16-le"),  # no BOM
        "nul.txt": b"Hel\x00lo\x00\x00 wor\x00ld",
        "private.txt": "Contoso \ue0000\ue001 and \ue001 \ue000 Contoso.\n".encode(),
    }
    statuses, outputs = translate(api, storage, documents, glossary=b"Contoso\tCONTOSO-FR\n")
    outcome = {name: (status["status"], code(status)) for name, status in statuses.items()}
    assert outcome == {
        "bomb.docx": ("Failed", "InvalidDocument"),
        "dtd.docx": ("Failed", "InvalidDocument"),
        "cell.csv": ("Succeeded", None),
        "utf16.txt": ("Succeeded", None),
        "nul.txt": ("Failed", "WrongDocumentEncoding"),
        "private.txt": ("Succeeded", None),
    }
    assert "zip bomb" in statuses["bomb.docx"]["error"]["message"]
    assert "DTD" in statuses["dtd.docx"]["error"]["message"]
    assert outputs["cell.csv"].startswith(b"[fr] H")
    assert outputs["utf16.txt"].decode("utf-16-le").startswith("[fr] Héļļö")
    private = outputs["private.txt"].decode()
    assert private.count("CONTOSO-FR") == 2
    assert "\ue0000\ue001" in private
    assert "\ue001 \ue000" in private
