"""Hostile and bad input: each case ends with a specific outcome on the queue, no invocation fails (so nothing could
reach the poison queue: the test host raises whatever a function raises), and other documents keep flowing."""

from __future__ import annotations

from datetime import timedelta

from shared.records import utc_now
from tests.support.office_documents import build_docx

MB = 1024 * 1024


def outcomes(messages: list[dict]) -> dict[str, tuple[str, str | None]]:
    return {
        m["data"]["source"]["name"]: (m["data"]["status"], (m["data"]["error"] or {}).get("code")) for m in messages
    }


def test_every_bad_document_gets_a_specific_outcome_and_good_ones_still_succeed(pipeline):
    cases = {
        # A '..' segment cannot even be uploaded (clients normalise the URL, so the signature no longer matches);
        # the app's name check rejects it anyway (tests/unit/test_validation.py).
        "x" * 1020 + ".txt": ("a 1,024-character name", b"Hello."),
        "zero.txt": ("zero bytes", b""),
        "big.txt": ("40 MB + 1", b"a" * (40 * MB + 1)),
        "tool.exe": ("unsupported", b"MZ\x90\x00"),
        "disguised.docx": ("not a zip", b"%PDF-1.7 pretending"),
        "bad-language.txt": ("invalid language", b"Hello."),
        "eleven-languages.txt": ("too many languages", b"Hello."),
        "fine #1 ?ünï%20.docx": ("good, awkward name", build_docx()),
    }
    metadata = {
        "bad-language.txt": {"targetlanguages": "fr,xx-!!"},
        "eleven-languages.txt": {"targetlanguages": "fr,de,es,it,pt,nl,sv,da,fi,pl,cs"},
    }
    for name, (_, data) in cases.items():
        pipeline.drop(name, data, metadata=metadata.get(name))

    results = outcomes(pipeline.run_until_announced(len(cases)))

    assert results == {
        "x" * 1020 + ".txt": ("Rejected", "InvalidDocumentName"),
        "zero.txt": ("Rejected", "EmptyDocument"),
        "big.txt": ("Rejected", "DocumentTooLarge"),
        "tool.exe": ("Rejected", "UnsupportedFormat"),
        "disguised.docx": ("Rejected", "ContentMismatch"),
        "bad-language.txt": ("Rejected", "InvalidTargetLanguages"),
        "eleven-languages.txt": ("Rejected", "InvalidTargetLanguages"),
        "fine #1 ?ünï%20.docx": ("Succeeded", None),
    }


def test_malformed_language_routes_reject_the_documents_they_route_and_metadata_still_works(make_pipeline):
    with make_pipeline(settings={"LANGUAGE_ROUTES": '{"legal/": "fr,'}) as pipeline:
        pipeline.drop("legal/nda.txt", "Confidential.")
        pipeline.drop("explicit.txt", "Explicit languages.", metadata={"targetlanguages": "es"})

        results = outcomes(pipeline.run_until_announced(2))
        [message] = [m for m in pipeline.received if m["data"]["source"]["name"] == "legal/nda.txt"]

    assert results == {"legal/nda.txt": ("Rejected", "InvalidLanguageRoutes"), "explicit.txt": ("Succeeded", None)}
    assert "LANGUAGE_ROUTES" in message["data"]["error"]["message"]


def test_a_malformed_glossary_fails_only_its_language(pipeline):
    pipeline.storage.upload(pipeline.glossaries, "fr.tsv", "Contoso\tCONTOSO\textra column\n")
    pipeline.drop("glossed.txt", "Contoso.")

    [message] = pipeline.run_until_announced(1)

    targets = {t["language"]: (t["status"], (t["error"] or {}).get("code")) for t in message["data"]["targets"]}
    assert targets == {"fr": ("Failed", "InvalidGlossary"), "de": ("Succeeded", None)}
    assert message["data"]["status"] == "PartiallySucceeded"


def test_a_blob_deleted_before_submission_is_rejected_and_the_rest_of_its_batch_goes_on(pipeline):
    ledger = pipeline.services.ledger
    assert ledger.acquire_lease("busy-elsewhere", now=utc_now(), duration=timedelta(minutes=5))
    for name in ("kept.txt", "deleted.txt"):
        pipeline.drop(name, f"{name} text.")
    pipeline.storage.service.get_blob_client(pipeline.source, "deleted.txt").delete_blob()
    ledger.release_lease("busy-elsewhere")

    results = outcomes(pipeline.run_until_announced(2))

    assert results == {"kept.txt": ("Succeeded", None), "deleted.txt": ("Rejected", "SourceDeleted")}
