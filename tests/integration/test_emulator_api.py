"""The emulator's REST surface over real HTTP, reading and writing real blobs in Azurite through SAS URLs."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid

import pytest

from devstack.emulator.processor import Limits
from tests.support.emulator import RunningEmulator, serve_emulator
from tests.support.storage import TestStorage
from tests.support.translator_api import TranslatorApi, file_input, folder_input


@pytest.fixture
def api(emulator: RunningEmulator) -> TranslatorApi:
    return TranslatorApi(emulator)


def assert_error(response, status: int, code: str, inner_code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["innerError"]["code"] == inner_code
    assert error["message"]
    assert response.headers["x-ms-error-code"] == code
    return error


def single_file_body(storage: TestStorage, src: str, tgt: str, name: str, *, source_permissions: str = "r") -> dict:
    """One File input: blob `name` of `src` into the same name in `tgt` (container SAS rwl), in French."""
    source = storage.blob_sas_url(src, name, source_permissions)
    return {"inputs": [file_input(source, [(storage.container_sas_url(tgt, "rwl", name=name), "fr")])]}


# ---- auth and api-version ---------------------------------------------------------------------------------------


def test_missing_key_is_401(api: TranslatorApi):
    assert_error(api.call("GET", "/document/formats", headers={}), 401, "Unauthorized", "MissingCredentials")


def test_wrong_key_is_401(api: TranslatorApi):
    response = api.call("GET", "/document/formats", headers={"Ocp-Apim-Subscription-Key": "wrong"})
    error = assert_error(response, 401, "Unauthorized", "InvalidSubscriptionKey")
    assert "invalid subscription key" in error["message"]


def test_bearer_token_is_refused_unless_allowed(api: TranslatorApi):
    response = api.call("GET", "/document/formats", headers={"Authorization": "Bearer opaque-token"})
    assert_error(response, 401, "Unauthorized", "BearerNotAccepted")


def jwt_with_audience(audience: str) -> str:
    """An unsigned JWT: Entra ID cannot run here, so the test forges the token shape (signature is not checked)."""

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'aud': audience})}.sig"


def test_bearer_token_accepted_with_allow_bearer_and_checked_for_audience(azurite):
    with serve_emulator(allow_bearer=True) as emulator:
        api = TranslatorApi(emulator)
        good = {"Authorization": f"Bearer {jwt_with_audience('https://cognitiveservices.azure.com')}"}
        assert api.call("GET", "/document/formats", headers=good).status_code == 200
        wrong = {"Authorization": f"Bearer {jwt_with_audience('https://storage.azure.com')}"}
        assert_error(api.call("GET", "/document/formats", headers=wrong), 401, "Unauthorized", "InvalidTokenAudience")


@pytest.mark.parametrize("version", ["2024-05-01", "2026-03-01"])
def test_supported_api_versions(emulator: RunningEmulator, version: str):
    assert TranslatorApi(emulator, version).call("GET", "/document/formats").status_code == 200


def test_unsupported_or_missing_api_version_is_400(emulator: RunningEmulator):
    response = TranslatorApi(emulator, "2023-11-01-preview").call("GET", "/document/formats")
    assert "2024-05-01" in assert_error(response, 400, "InvalidRequest", "UnsupportedApiVersion")["message"]
    missing = TranslatorApi(emulator).session.get(
        f"{emulator.api}/document/formats", headers=emulator.headers(), timeout=10
    )
    assert_error(missing, 400, "InvalidRequest", "MissingApiVersion")


# ---- formats ----------------------------------------------------------------------------------------------------


def test_formats_list_exactly_what_is_handled(api: TranslatorApi):
    documents = api.call("GET", "/document/formats", params={"type": "document"}).json()["value"]
    assert {f["format"] for f in documents} == {
        "PlainText",
        "HtmlFile",
        "Markdown",
        "CSV",
        "TSV",
        "OpenXmlWord",
        "OpenXmlPresentation",
        "OpenXmlSpreadsheet",
        "XLIFF",
        "OpenDocumentText",
        "OpenDocumentSpreadsheet",
        "OpenDocumentPresentation",
        "RichTextFormat",
        "PortableDocumentFormat",
    }
    assert {
        "format": "PortableDocumentFormat",
        "fileExtensions": [".pdf"],
        "contentTypes": ["application/pdf"],
        "type": "Document",
    } in documents  # as test_supported_document_formats.json (2024-05-01) records it
    assert all(f["fileExtensions"] and f["contentTypes"] for f in documents)
    # as test_supported_document_formats.json records: `versions` / `defaultVersion` only where a format has them
    assert all("versions" not in f and "defaultVersion" not in f for f in documents if f["format"] != "XLIFF")
    assert list(documents[0]) == ["format", "fileExtensions", "contentTypes", "type"]
    glossaries = api.call("GET", "/document/formats", params={"type": "glossary"}).json()["value"]
    assert [f["format"] for f in glossaries] == ["XLIFF", "TSV", "CSV"]  # as recorded
    assert (glossaries[0]["defaultVersion"], glossaries[0]["versions"]) == ("1.2", ["1.0", "1.1", "1.2"])
    assert_error(
        api.call("GET", "/document/formats", params={"type": "image"}), 400, "InvalidArgument", "InvalidFormatType"
    )


def test_if_none_match_with_the_etag_gives_304(api: TranslatorApi):
    first = api.call("GET", "/document/formats")
    again = api.call(
        "GET", "/document/formats", headers={**api.emulator.headers(), "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    assert first.headers["X-RequestId"]
    # as the 2024-05-01 recordings (test_cancel_translation) show
    assert re.fullmatch(r'"[0-9A-F]{64}"', first.headers["ETag"])
    assert first.headers["Cache-Control"] == "public, max-age=1"
    assert first.headers["Content-Type"] == "application/json; charset=utf-8"


# ---- File and Folder translation --------------------------------------------------------------------------------


def test_file_inputs_translate_each_document_into_each_language(api: TranslatorApi, storage: TestStorage):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "report one.txt", "Quarterly report: revenue grew 12%.\n")
    storage.upload(src, "notes.md", "# Notes\n\nSee https://example.com for details.\n")
    body = {
        "inputs": [
            file_input(
                storage.blob_sas_url(src, name, "r"),
                [(storage.container_sas_url(tgt, "rwl", name=f"{lang}/{name}"), lang) for lang in ("fr", "de")],
            )
            for name in ("report one.txt", "notes.md")
        ]
    }
    response = api.call("POST", "/document/batches", json=body)
    assert response.status_code == 202
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["apim-request-id"] == response.headers["X-RequestId"]
    location = response.headers["Operation-Location"]
    job_id = location.split("/batches/")[1].split("?")[0]
    assert response.json() == {"id": job_id, "status": "NotStarted"}  # as test_cancel_translation records it
    assert str(uuid.UUID(job_id)) == job_id
    assert location == f"{api.emulator.api}/document/batches/{job_id}?api-version=2024-05-01"

    status = api.wait(job_id)
    assert status["status"] == "Succeeded"
    summary = status["summary"]
    expected_chars = 2 * (
        len("Quarterly report: revenue grew 12%.") + len("# Notes") - 2 + len("See https://example.com for details.")
    )
    assert summary == {
        "total": 4,
        "failed": 0,
        "success": 4,
        "inProgress": 0,
        "notYetStarted": 0,
        "cancelled": 0,
        "totalCharacterCharged": expected_chars,
    }
    documents = api.documents(job_id)
    assert sorted((d["to"], d["sourcePath"].rsplit("/", 1)[1]) for d in documents) == [
        ("de", "notes.md"),
        ("de", "report%20one.txt"),
        ("fr", "notes.md"),
        ("fr", "report%20one.txt"),
    ]
    for document in documents:
        assert document["status"] == "Succeeded"
        assert document["progress"] == 1
        assert document["characterCharged"] > 0
        assert "sig=" not in json.dumps(document)
        assert document["path"].startswith(storage.plain_url(tgt))
    translated = storage.download(tgt, "de/report one.txt").decode()
    assert translated.startswith("[de] ")
    assert "12%" in translated
    assert "https://example.com" in storage.download(tgt, "fr/notes.md").decode()
    assert storage.download(tgt, "fr/notes.md").decode().startswith("# [fr] ")


def test_folder_input_filters_by_prefix_and_suffix_and_mirrors_names(api: TranslatorApi, storage: TestStorage):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    for name in ("docs/a.txt", "docs/sub/b.html", "docs/c.csv", "docs/skip.msg", "docs/d.tsv", "other/e.txt"):
        storage.upload(src, name, f"Content of {name}")
    body = {
        "inputs": [
            folder_input(
                storage.container_sas_url(src, "rl"),
                [(storage.container_sas_url(tgt, "rwl"), "es")],
                filter={"prefix": "docs/"},
            )
        ]
    }
    status = api.wait(api.start(body))
    assert status["status"] == "Succeeded"
    assert status["summary"]["total"] == 4  # the .msg is unsupported and skipped, other/ is filtered out
    assert storage.blob_names(tgt) == ["docs/a.txt", "docs/c.csv", "docs/d.tsv", "docs/sub/b.html"]

    suffix_tgt = storage.new_container("tgt")
    body["inputs"][0] = folder_input(
        storage.container_sas_url(src, "rl"),
        [(storage.container_sas_url(suffix_tgt, "rwl"), "es")],
        filter={"suffix": ".txt"},
    )
    assert api.wait(api.start(body))["summary"]["total"] == 2
    assert storage.blob_names(suffix_tgt) == ["docs/a.txt", "other/e.txt"]


def test_folder_target_with_a_path_places_outputs_under_it(api: TranslatorApi, storage: TestStorage):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "x.txt", "Hello")
    body = {
        "inputs": [
            folder_input(
                storage.container_sas_url(src, "rl"), [(storage.container_sas_url(tgt, "rwl", name="out/fr"), "fr")]
            )
        ]
    }
    assert api.wait(api.start(body))["status"] == "Succeeded"
    assert storage.blob_names(tgt) == ["out/fr/x.txt"]


def test_glossaries_in_tsv_and_csv_are_applied_case_sensitively(api: TranslatorApi, storage: TestStorage):
    src, tgt, glossaries = (storage.new_container(s) for s in ("src", "tgt", "gl"))
    storage.upload(src, "a.txt", "Contoso ships Widgets; contoso and widgets stay ordinary words.")
    storage.upload(glossaries, "terms.tsv", "Contoso\tContoso SARL\n")
    storage.upload(glossaries, "terms.csv", "Widgets,Bidules\n")
    target = {
        "targetUrl": storage.container_sas_url(tgt, "rwl", name="a.txt"),
        "language": "fr",
        "glossaries": [
            {"glossaryUrl": storage.blob_sas_url(glossaries, "terms.tsv", "r"), "format": "TSV"},
            {"glossaryUrl": storage.blob_sas_url(glossaries, "terms.csv", "r"), "format": "CSV"},
        ],
    }
    body = {
        "inputs": [
            {
                "source": {"sourceUrl": storage.blob_sas_url(src, "a.txt", "r")},
                "targets": [target],
                "storageType": "File",
            }
        ]
    }
    assert api.wait(api.start(body))["status"] == "Succeeded"
    out = storage.download(tgt, "a.txt").decode()
    assert "Contoso SARL" in out
    assert "Bidules" in out
    assert "çöñtöšö" in out
    assert "ŵîdĝétš" in out  # lower-case "widgets" is not the term "Widgets": pseudo-translated


def test_malformed_glossary_fails_the_document_not_the_service(api: TranslatorApi, storage: TestStorage):
    src, tgt, glossaries = (storage.new_container(s) for s in ("src", "tgt", "gl"))
    storage.upload(src, "a.txt", "Hello")
    storage.upload(glossaries, "bad.tsv", "one column only\n")
    target = {
        "targetUrl": storage.container_sas_url(tgt, "rwl", name="a.txt"),
        "language": "fr",
        "glossaries": [{"glossaryUrl": storage.blob_sas_url(glossaries, "bad.tsv", "r"), "format": "TSV"}],
    }
    body = {
        "inputs": [
            {
                "source": {"sourceUrl": storage.blob_sas_url(src, "a.txt", "r")},
                "targets": [target],
                "storageType": "File",
            }
        ]
    }
    status = api.wait(api.start(body))
    assert status["status"] == "Failed"
    (document,) = api.documents(status["id"])
    assert document["error"]["innerError"]["code"] == "InvalidGlossary"
    assert not storage.exists(tgt, "a.txt")


# ---- per-document errors ----------------------------------------------------------------------------------------


def test_each_bad_document_fails_with_its_own_code_and_the_job_goes_on(api: TranslatorApi, storage: TestStorage):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "good.txt", "Fine text")
    storage.upload(src, "empty.txt", b"")
    storage.upload(src, "blank.txt", "  \n\t\n")
    storage.upload(src, "latin1.txt", "Café".encode("latin-1"))
    storage.upload(src, "scan.pdf", b"%PDF-1.7")
    storage.upload(src, "mail.msg", b"\xd0\xcf\x11\xe0 an Outlook message")
    storage.upload(src, "huge.txt", b"a" * (40 * 1024 * 1024 + 1))
    names = ["good.txt", "empty.txt", "blank.txt", "latin1.txt", "scan.pdf", "mail.msg", "huge.txt", "missing.txt"]
    body = {
        "inputs": [
            file_input(storage.blob_sas_url(src, name, "r"), [(storage.container_sas_url(tgt, "rwl", name=name), "fr")])
            for name in names
        ]
    }
    status = api.wait(api.start(body))
    assert status["status"] == "Succeeded"
    assert status["summary"]["success"] == 1
    assert status["summary"]["failed"] == 7
    codes = {
        d["sourcePath"].rsplit("/", 1)[1]: (d["error"] or {}).get("innerError", {}).get("code")
        for d in api.documents(status["id"])
        if d["status"] == "Failed"
    }
    assert codes == {
        "empty.txt": "NoTranslatableText",
        "blank.txt": "NoTranslatableText",
        "latin1.txt": "WrongDocumentEncoding",
        "scan.pdf": "InvalidDocument",
        "mail.msg": "UnsupportedDocumentFormat",
        "huge.txt": "DocumentTooLarge",
        "missing.txt": "SourceDocumentNotFound",
    }
    assert storage.blob_names(tgt) == ["good.txt"]


def test_a_job_whose_every_document_failed_is_failed_with_the_reason_as_its_own_error(
    api: TranslatorApi, storage: TestStorage
):
    """As test_translation.pyTestTranslationtest_empty_document.json (2024-05-01) records it."""
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "empty.txt", b"")
    body = single_file_body(storage, src, tgt, "empty.txt")
    status = api.wait(api.start(body))
    assert status["status"] == "Failed"
    assert status["summary"]["failed"] == 1
    no_text = "The document does not have any translatable text."
    assert status["error"] == {
        "code": "InvalidRequest",
        "message": no_text,
        "target": "Operation",
        "innerError": {"code": "NoTranslatableText", "message": no_text},
    }
    (document,) = api.documents(status["id"])
    assert "path" not in document
    assert document["error"] == {**status["error"], "target": "Document"}
    assert re.fullmatch(r"[0-9a-f]{8}-0000-0000-0000-000000000000", document["id"])  # shaped as recorded
    assert document["progress"] == 0
    assert isinstance(document["progress"], int)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z", document["createdDateTimeUtc"])


def test_existing_target_fails_validation_and_is_not_overwritten(api: TranslatorApi, storage: TestStorage):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "a.txt", "Hello")
    storage.upload(tgt, "a.txt", "previous translation")
    body = single_file_body(storage, src, tgt, "a.txt")
    status = api.wait(api.start(body))
    assert status["status"] == "ValidationFailed"
    assert status["error"]["innerError"]["code"] == "TargetFileAlreadyExists"
    assert api.documents(status["id"]) == []  # a job that failed validation lists no document, counts 0
    assert set(status["summary"].values()) == {0}
    assert storage.download(tgt, "a.txt") == b"previous translation"


def test_existing_target_behind_a_write_only_sas_fails_that_document(api: TranslatorApi, storage: TestStorage):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "a.txt", "Hello")
    storage.upload(tgt, "a.txt", "previous translation")
    body = {
        "inputs": [
            file_input(storage.blob_sas_url(src, "a.txt", "r"), [(storage.blob_sas_url(tgt, "a.txt", "w"), "fr")])
        ]
    }
    status = api.wait(api.start(body))
    (document,) = api.documents(status["id"])
    assert document["error"]["innerError"]["code"] == "TargetFileAlreadyExists"
    assert storage.download(tgt, "a.txt") == b"previous translation"


# ---- storage access ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source_permissions", "target_permissions", "inner_code"),
    [
        ("r", "rwl", "InvalidDocumentAccessLevel"),  # a Folder source needs list
        ("l", "rwl", None),  # listing alone cannot read: the documents fail
        ("rl", "rl", "InvalidTargetDocumentAccessLevel"),  # a target needs write
    ],
)
def test_insufficient_sas_permissions(api, storage: TestStorage, source_permissions, target_permissions, inner_code):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "a.txt", "Hello")
    body = {
        "inputs": [
            folder_input(
                storage.container_sas_url(src, source_permissions),
                [(storage.container_sas_url(tgt, target_permissions), "fr")],
            )
        ]
    }
    status = api.wait(api.start(body))
    if inner_code is None:
        (document,) = api.documents(status["id"])
        assert document["error"]["innerError"]["code"] == "InvalidDocumentAccessLevel"
    else:
        assert status["status"] == "ValidationFailed"
        assert status["error"]["code"] == "InvalidRequest"
        assert status["error"]["innerError"]["code"] == inner_code
        assert "permissions" in status["error"]["message"]
    assert storage.blob_names(tgt) == []


def test_file_source_without_read_permission_fails_validation(api: TranslatorApi, storage: TestStorage):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "a.txt", "Hello")
    body = single_file_body(storage, src, tgt, "a.txt", source_permissions="w")
    status = api.wait(api.start(body))
    assert status["status"] == "ValidationFailed"
    assert status["error"]["innerError"]["code"] == "InvalidDocumentAccessLevel"


def test_plain_urls_use_the_emulators_own_storage_identity(azurite, storage: TestStorage):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "a.txt", "Managed identity mode")
    body = {"inputs": [folder_input(storage.plain_url(src), [(storage.plain_url(tgt), "fr")])]}
    with serve_emulator(storage_connection_string=azurite.connection_string) as emulator:
        api = TranslatorApi(emulator)
        assert api.wait(api.start(body))["status"] == "Succeeded"
    assert storage.download(tgt, "a.txt").decode().startswith("[fr] ")


def test_with_its_own_identity_the_emulator_refuses_urls_that_carry_a_sas(azurite, storage: TestStorage):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "a.txt", "Managed identity mode")
    body = {"inputs": [folder_input(storage.plain_url(src), [(storage.container_sas_url(tgt, "rwl"), "fr")])]}
    with serve_emulator(storage_connection_string=azurite.connection_string) as emulator:
        response = TranslatorApi(emulator).call("POST", "/document/batches", json=body)
    assert_error(response, 400, "InvalidRequest", "SasTokenNotAllowed")
    assert response.json()["error"]["target"] == "inputs[0].targets[0].targetUrl"
    assert "target" not in response.json()["error"]["innerError"]  # as in every recording


def test_plain_urls_without_an_identity_fail_validation(azurite, storage: TestStorage):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "a.txt", "Hello")
    with serve_emulator() as emulator:
        api = TranslatorApi(emulator)
        status = api.wait(
            api.start({"inputs": [folder_input(storage.plain_url(src), [(storage.plain_url(tgt), "fr")])]})
        )
    assert status["status"] == "ValidationFailed"
    assert status["error"]["innerError"]["code"] == "InvalidDocumentAccessLevel"


@pytest.mark.parametrize(
    ("side", "inner_code", "message"),
    [
        (
            "source",
            "InvalidDocumentAccessLevel",
            "Cannot access source document location with the current permissions.",
        ),
        (
            "target",
            "InvalidTargetDocumentAccessLevel",
            "Cannot access target document location with the current permissions.",
        ),
    ],
)
def test_an_unreachable_url_is_accepted_and_the_job_fails_validation(
    api: TranslatorApi, storage: TestStorage, side: str, inner_code: str, message: str
):
    """As test_translation.pyTestTranslationtest_bad_input_source.json / ..._bad_input_target.json record: POST with
    `https://idont.ex.ist` answers 202; the job ends ValidationFailed, every count 0, no document listed."""
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "a.txt", "Hello")
    source = "https://idont.ex.ist" if side == "source" else storage.container_sas_url(src, "rl")
    target = "https://idont.ex.ist" if side == "target" else storage.container_sas_url(tgt, "rwl")
    status = api.wait(api.start({"inputs": [folder_input(source, [(target, "es")])]}))
    assert status["status"] == "ValidationFailed"
    assert status["error"] == {
        "code": "InvalidRequest",
        "message": message,
        "target": "Operation",
        "innerError": {"code": inner_code, "message": message},
    }
    assert set(status["summary"].values()) == {0}
    assert api.documents(status["id"]) == []
    assert storage.blob_names(tgt) == []


def test_two_inputs_may_write_to_one_target_container(api: TranslatorApi, storage: TestStorage):
    """As test_translation.pyTestTranslationtest_multiple_sources_single_target.json records: accepted, and the job
    succeeds; only the same target twice within one input is refused."""
    first, second, tgt = storage.new_container("src"), storage.new_container("src"), storage.new_container("tgt")
    storage.upload(first, "one.txt", "First source")
    storage.upload(second, "two.txt", "Second source")
    target = storage.container_sas_url(tgt, "rwl")
    body = {
        "inputs": [
            folder_input(storage.container_sas_url(first, "rl"), [(target, "es")]),
            folder_input(storage.container_sas_url(second, "rl"), [(target, "fr")]),
        ]
    }
    status = api.wait(api.start(body))
    assert (status["status"], status["summary"]["success"]) == ("Succeeded", 2)
    assert storage.download(tgt, "one.txt").decode().startswith("[es] ")
    assert storage.download(tgt, "two.txt").decode().startswith("[fr] ")


def test_two_inputs_writing_the_same_blob_fail_the_second_document_only(api: TranslatorApi, storage: TestStorage):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "a.txt", "Same name")
    target = storage.container_sas_url(tgt, "rwl")
    source = storage.container_sas_url(src, "rl")
    status = api.wait(
        api.start({"inputs": [folder_input(source, [(target, "es")]), folder_input(source, [(target, "fr")])]})
    )
    assert status["status"] == "Succeeded"
    assert sorted(d["status"] for d in api.documents(status["id"])) == ["Failed", "Succeeded"]
    failed = next(d for d in api.documents(status["id"]) if d["status"] == "Failed")
    assert failed["error"]["innerError"]["code"] == "TargetFileAlreadyExists"


# ---- request validation over HTTP -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"), [("GET", "/document/nothing", 404), ("PUT", "/document/formats", 405)]
)
def test_unknown_routes_and_methods_answer_in_the_error_envelope(
    api: TranslatorApi, method: str, path: str, status: int
):
    response = api.call(method, path)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == response.headers["x-ms-error-code"]
    assert error["innerError"]["code"] in ("RouteNotFound", "MethodNotAllowed")
    assert response.headers["X-RequestId"] == response.headers["apim-request-id"]


def test_invalid_body_is_400_in_the_service_shape(api: TranslatorApi):
    assert_error(api.call("POST", "/document/batches", json={"inputs": []}), 400, "InvalidArgument", "MissingInputs")
    assert_error(
        api.call(
            "POST",
            "/document/batches",
            data=b"{not json",
            headers={**api.emulator.headers(), "Content-Type": "application/json"},
        ),
        400,
        "InvalidRequest",
        "InvalidRequestBody",
    )


def test_more_than_1000_documents_is_400_before_touching_storage(api: TranslatorApi, storage: TestStorage):
    tgt = storage.new_container("tgt")
    body = {
        "inputs": [
            file_input(
                storage.blob_sas_url(tgt, f"missing-{i}.txt", "r"),
                [(storage.container_sas_url(tgt, "rwl", name=f"{i}.txt"), "fr")],
            )
            for i in range(1001)
        ]
    }
    assert_error(api.call("POST", "/document/batches", json=body), 400, "InvalidRequest", "TooManyDocuments")


def test_batch_limits_count_folder_documents_and_total_bytes(azurite, storage: TestStorage):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    for i in range(4):
        storage.upload(src, f"{i}.txt", "twelve bytes")
    body = {
        "inputs": [folder_input(storage.container_sas_url(src, "rl"), [(storage.container_sas_url(tgt, "rwl"), "fr")])]
    }
    with serve_emulator(limits=Limits(max_batch_documents=3)) as emulator:
        assert_error(
            TranslatorApi(emulator).call("POST", "/document/batches", json=body),
            400,
            "InvalidRequest",
            "TooManyDocuments",
        )
    with serve_emulator(limits=Limits(max_batch_bytes=47)) as emulator:
        assert_error(
            TranslatorApi(emulator).call("POST", "/document/batches", json=body),
            400,
            "InvalidRequest",
            "BatchSizeTooLarge",
        )
    assert storage.blob_names(tgt) == []


def test_empty_source_folder_fails_validation(api: TranslatorApi, storage: TestStorage):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    status = api.wait(
        api.start(
            {
                "inputs": [
                    folder_input(storage.container_sas_url(src, "rl"), [(storage.container_sas_url(tgt, "rwl"), "fr")])
                ]
            }
        )
    )
    assert status["status"] == "ValidationFailed"
    assert status["error"]["innerError"]["code"] == "NoDocumentsFound"


# ---- status routes, listing and paging --------------------------------------------------------------------------


def start_small_job(api: TranslatorApi, storage: TestStorage, documents: int = 1) -> str:
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    for i in range(documents):
        storage.upload(src, f"doc-{i:02}.txt", f"Document number {i}")
    return api.start(
        {
            "inputs": [
                folder_input(storage.container_sas_url(src, "rl"), [(storage.container_sas_url(tgt, "rwl"), "fr")])
            ]
        }
    )


def test_documents_page_with_maxpagesize_top_and_skip(api: TranslatorApi, storage: TestStorage):
    job_id = start_small_job(api, storage, documents=7)
    api.wait(job_id)
    documents, pages = api.follow_pages(f"/document/batches/{job_id}/documents", {"$maxpagesize": 3})
    assert pages == 3
    assert len({d["id"] for d in documents}) == 7
    ascending, _ = api.follow_pages(
        f"/document/batches/{job_id}/documents",
        {"$orderBy": "createdDateTimeUtc asc", "$skip": 2, "$top": 4, "$maxpagesize": 3},
    )
    names = [d["sourcePath"].rsplit("/", 1)[1] for d in ascending]
    assert names == ["doc-02.txt", "doc-03.txt", "doc-04.txt", "doc-05.txt"]
    client_spelling, pages = api.follow_pages(f"/document/batches/{job_id}/documents", {"maxpagesize": 2, "top": 3})
    assert (len(client_spelling), pages) == (3, 2)


def test_pages_link_with_at_next_link_shaped_as_recorded(api: TranslatorApi, storage: TestStorage):
    """test_list_translations.pyTestListTranslationstest_list_translations.json (2024-05-01): `@nextLink` (no
    `nextLink`), `skip`, `top` (the items left) and `maxpagesize` without `$`, then `api-version`."""
    job_id = start_small_job(api, storage, documents=5)
    api.wait(job_id)
    page = api.call("GET", f"/document/batches/{job_id}/documents", params={"maxpagesize": 2}).json()
    assert "nextLink" not in page
    link = page["@nextLink"]
    assert link.endswith(f"/documents?skip=2&top=3&maxpagesize=2&api-version={api.api_version}")


def test_get_one_document_and_not_found_errors(api: TranslatorApi, storage: TestStorage):
    job_id = start_small_job(api, storage)
    api.wait(job_id)
    (document,) = api.documents(job_id)
    single = api.call("GET", f"/document/batches/{job_id}/documents/{document['id']}").json()
    assert single == document
    unknown = str(uuid.uuid4())
    assert_error(
        api.call("GET", f"/document/batches/{job_id}/documents/{unknown}"), 404, "ResourceNotFound", "DocumentNotFound"
    )
    assert_error(api.call("GET", f"/document/batches/{unknown}"), 404, "ResourceNotFound", "BatchNotFound")
    assert_error(api.call("GET", "/document/batches/not-a-guid"), 400, "InvalidArgument", "InvalidId")


def test_list_jobs_by_ids_statuses_and_creation_time(api: TranslatorApi, storage: TestStorage):
    job_ids = [start_small_job(api, storage) for _ in range(3)]
    for job_id in job_ids:
        api.wait(job_id)
    listed, pages = api.follow_pages("/document/batches", {"ids": ",".join(job_ids), "$maxpagesize": 2})
    assert pages == 2
    assert [job["id"] for job in listed] == list(reversed(job_ids))
    first = api.status(job_ids[0])
    after_first, _ = api.follow_pages(
        "/document/batches",
        {
            "ids": ",".join(job_ids),
            "createdDateTimeUtcStart": first["createdDateTimeUtc"],
            "$orderBy": "createdDateTimeUtc asc",
        },
    )
    assert [job["id"] for job in after_first] == job_ids
    none_running, _ = api.follow_pages(
        "/document/batches", {"ids": ",".join(job_ids), "statuses": "Running,NotStarted"}
    )
    assert none_running == []


# ---- cancel -----------------------------------------------------------------------------------------------------


def test_cancel_stops_pending_documents_and_cancelling_a_finished_job_changes_nothing(azurite, storage: TestStorage):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    for i in range(6):
        storage.upload(src, f"{i}.txt", "x" * 40)
    body = {
        "inputs": [folder_input(storage.container_sas_url(src, "rl"), [(storage.container_sas_url(tgt, "rwl"), "fr")])]
    }
    with serve_emulator(workers=1, chars_per_second=200) as emulator:  # 0.2 s per document
        api = TranslatorApi(emulator)
        job_id = api.start(body)
        cancelled = api.call("DELETE", f"/document/batches/{job_id}")
        assert cancelled.status_code == 200
        assert cancelled.json()["status"] in ("Cancelling", "Cancelled")
        status = api.wait(job_id)
        assert status["status"] == "Cancelled"
        assert status["summary"]["cancelled"] >= 4
        assert status["summary"]["cancelled"] + status["summary"]["success"] == 6
        assert len(storage.blob_names(tgt)) == status["summary"]["success"]
        again = api.call("DELETE", f"/document/batches/{job_id}")  # an ended job: 200, its status unchanged
        assert again.status_code == 200
        assert again.json() == api.call("GET", f"/document/batches/{job_id}").json()


def test_a_job_shows_no_counts_until_it_starts_and_cancelling_it_then_answers_cancelling(azurite, storage: TestStorage):
    """As test_cancel_translation.pyTestCancelTranslationtest_cancel_translation.json (2024-05-01) records: a job that
    has not started reports every count as 0; DELETE answers `Cancelling` with counts 0; it then ends `Cancelled` with
    its documents counted."""
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "busy.txt", "x" * 2000)
    for i in range(3):
        storage.upload(src, f"waiting-{i}.txt", "y" * 40)
    with serve_emulator(workers=1, chars_per_second=200) as emulator:  # the one worker is busy for 10 s
        api = TranslatorApi(emulator)
        busy = api.start(
            {
                "inputs": [
                    file_input(
                        storage.blob_sas_url(src, "busy.txt", "r"),
                        [(storage.container_sas_url(tgt, "rwl", name="busy.txt"), "fr")],
                    )
                ]
            }
        )
        waiting = api.start(
            {
                "inputs": [
                    folder_input(storage.container_sas_url(src, "rl"), [(storage.container_sas_url(tgt, "rwl"), "de")])
                ]
            }
        )
        status = api.status(waiting)
        assert status["status"] == "NotStarted"
        assert set(status["summary"].values()) == {0}

        cancelled = api.call("DELETE", f"/document/batches/{waiting}")

        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "Cancelling"
        assert set(cancelled.json()["summary"].values()) == {0}
        final = api.wait(waiting)
        assert (final["status"], final["summary"]["total"], final["summary"]["cancelled"]) == ("Cancelled", 4, 4)
        api.call("DELETE", f"/document/batches/{busy}")


# ---- fault injection and stats ----------------------------------------------------------------------------------


def test_stale_reads_lag_and_go_backwards_for_at_most_the_configured_seconds(azurite, storage: TestStorage):
    """--stale-reads: each status read shows the job as it was at a random moment of the last SECONDS (a stale
    NotStarted came back for about a minute after a DELETE in test_cancel_translation.json): the job can read as
    ended, then as running again, and its documents can lag behind its status; never more than SECONDS."""
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "a.txt", "Hello")
    body = {
        "inputs": [folder_input(storage.container_sas_url(src, "rl"), [(storage.container_sas_url(tgt, "rwl"), "fr")])]
    }
    with serve_emulator(stale_reads=2, seed=7, workers=1, chars_per_second=20) as emulator:  # 0.25 s to translate
        api = TranslatorApi(emulator)
        job_id = api.start(body)
        seen: list[tuple[str, str]] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and [job for job, _ in seen].count("Succeeded") < 30:
            job = api.call("GET", f"/document/batches/{job_id}").json()["status"]
            documents = api.call("GET", f"/document/batches/{job_id}/documents").json()["value"]
            seen.append((job, documents[0]["status"] if documents else "none"))
            time.sleep(0.03)
        first_end = [job for job, _ in seen].index("Succeeded")
        assert any(job != "Succeeded" for job, _ in seen[first_end:]), "a read after the end went backwards"
        assert any(job == "Succeeded" and document != "Succeeded" for job, document in seen), "documents lagged"
        time.sleep(2.1)  # past the window: every read now shows the job as it ended
        assert {api.call("GET", f"/document/batches/{job_id}").json()["status"] for _ in range(10)} == {"Succeeded"}


def test_2026_03_01_document_statuses_carry_the_image_counters_and_the_deployment(azurite, storage: TestStorage):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "a.txt", "Hello")
    target = {"targetUrl": storage.container_sas_url(tgt, "rwl"), "language": "fr", "deploymentName": "my-model"}
    body = {"inputs": [{"source": {"sourceUrl": storage.container_sas_url(src, "rl")}, "targets": [target]}]}
    with serve_emulator() as emulator:
        api = TranslatorApi(emulator, api_version="2026-03-01")
        (document,) = api.documents(api.wait(api.start(body))["id"])
    assert document["deploymentName"] == "my-model"
    assert {key: document[key] for key in ("imageCharged", "imageCharacterDetected", "totalImageScansSucceeded")} == {
        "imageCharged": 0,
        "imageCharacterDetected": 0,
        "totalImageScansSucceeded": 0,
    }


def test_throttling_rate_and_retry_after_are_as_configured(azurite):
    with serve_emulator(throttle_rate=0.3, retry_after=2, seed=7) as emulator:
        api = TranslatorApi(emulator)
        responses = [api.call("GET", "/document/formats") for _ in range(300)]
    throttled = [r for r in responses if r.status_code == 429]
    assert 0.2 <= len(throttled) / len(responses) <= 0.4
    assert all(r.status_code == 200 for r in responses if r not in throttled)
    assert_error(throttled[0], 429, "RequestRateTooHigh", "RateTooHigh")
    assert {r.headers["Retry-After"] for r in throttled} == {"2"}


def test_throttling_without_retry_after_header(azurite):
    with serve_emulator(throttle_rate=1.0, retry_after=0) as emulator:
        response = TranslatorApi(emulator).call("GET", "/document/formats")
    assert response.status_code == 429
    assert "Retry-After" not in response.headers


def test_error_injection_answers_500_or_503(azurite):
    with serve_emulator(error_rate=1.0, seed=3) as emulator:
        responses = [TranslatorApi(emulator).call("GET", "/document/formats") for _ in range(40)]
    assert {r.status_code for r in responses} == {500, 503}
    for response in responses:
        inner = response.json()["error"]["innerError"]["code"]
        assert inner == ("InternalServerError" if response.status_code == 500 else "ServiceTemporaryUnavailable")


def test_latency_injection_still_answers_correctly(azurite):
    with serve_emulator(latency_ms=50) as emulator:
        assert TranslatorApi(emulator).call("GET", "/document/formats").status_code == 200


def test_stats_count_requests_per_operation_and_status(azurite, storage: TestStorage):
    with serve_emulator() as emulator:
        api = TranslatorApi(emulator)
        src, tgt = storage.new_container("src"), storage.new_container("tgt")
        storage.upload(src, "a.txt", "Hello")
        job_id = api.start(
            {
                "inputs": [
                    folder_input(storage.container_sas_url(src, "rl"), [(storage.container_sas_url(tgt, "rwl"), "de")])
                ]
            }
        )
        api.wait(job_id)
        api.call("GET", "/document/formats", headers={})
        stats = api.session.get(f"{emulator.endpoint}/emulator/stats", timeout=10).json()
    assert stats["requests"]["start_translation"] == {"202": 1}
    assert stats["requests"]["get_formats"] == {"401": 1}
    assert stats["requests"]["get_translation"]["200"] >= 1
    assert stats["jobs"] == {"Succeeded": 1}
    assert stats["documents"] == {"Succeeded": 1}
    assert stats["translationsByLanguage"] == {"de": 1}
    assert stats["charactersCharged"] == 5


def test_no_sas_signature_reaches_logs_or_responses(api: TranslatorApi, storage: TestStorage, caplog):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "a.txt", "Hello")
    storage.upload(tgt, "a.txt", "exists")
    body = single_file_body(storage, src, tgt, "a.txt")
    with caplog.at_level("DEBUG"):
        job_id = api.start(body)
        status = api.wait(job_id)
        documents = api.documents(job_id)
    assert "sig=" not in json.dumps(status) + json.dumps(documents)
    leaked = [r.getMessage() for r in caplog.records if re.search(r"sig=(?!REDACTED)", r.getMessage())]
    assert leaked == []
    assert any("sig=REDACTED" in r.getMessage() for r in caplog.records)  # the storage calls were logged


def test_awkward_blob_names_round_trip_in_file_and_folder_modes(api: TranslatorApi, storage: TestStorage):
    names = ["spaced name.txt", "hash#1.txt", "question?.txt", "percent%20.txt", "ünïcödé/日本.txt"]
    src, folder_tgt, file_tgt = storage.new_container("src"), storage.new_container("tgt"), storage.new_container("tgt")
    for name in names:
        storage.upload(src, name, f"Text of {name}")
    folder = {
        "inputs": [
            folder_input(storage.container_sas_url(src, "rl"), [(storage.container_sas_url(folder_tgt, "rwl"), "fr")])
        ]
    }
    files = {
        "inputs": [
            file_input(
                storage.blob_sas_url(src, name, "r"), [(storage.container_sas_url(file_tgt, "rwl", name=name), "fr")]
            )
            for name in names
        ]
    }
    for body, target in ((folder, folder_tgt), (files, file_tgt)):
        status = api.wait(api.start(body))
        assert status["summary"]["success"] == len(names), api.documents(status["id"])
        assert storage.blob_names(target) == sorted(names)
        assert storage.download(target, "hash#1.txt").decode().startswith("[fr] ")


def test_documents_without_a_source_language_have_it_detected(azurite, storage: TestStorage):
    src, tgt = storage.new_container("src"), storage.new_container("tgt")
    storage.upload(src, "de.txt", "Wir haben in diesem Quartal zwölftausend Lampen verkauft, ein Rekord.")
    storage.upload(src, "es.md", "# Informe\n\nContoso vendió doce mil lámparas este trimestre, todo un récord.")
    given = {
        "inputs": [folder_input(storage.container_sas_url(src, "rl"), [(storage.container_sas_url(tgt, "rwl"), "fr")])]
    }
    with serve_emulator() as emulator:
        api = TranslatorApi(emulator)
        assert api.wait(api.start(given))["status"] == "Succeeded"
        stats = api.session.get(f"{emulator.endpoint}/emulator/stats", timeout=10).json()
    assert stats["sourceLanguagesDetected"] == {"de": 1, "es": 1}
