"""Hostile and bad input: each case ends with a specific outcome on the queue, no invocation fails (so nothing could
reach the poison queue: the test host raises whatever a function raises), and other documents keep flowing."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from azure.storage.blob import ContainerClient

import shared.records
from shared.records import DocumentState, name_key, utc_now
from tests.support.messages import assert_valid_message
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


TEN_LANGUAGES = "fr,de,es,it,pt,nl,sv,da,fi,pl"


def test_long_cjk_names_in_ten_languages_are_announced_within_table_and_queue_limits(make_pipeline):
    # GIVEN six documents in one batch and ten languages, one named with 304 CJK characters (its message is 35,000
    # characters: more than one Table property holds), and one of 1,000 CJK characters in three languages (70 KB once
    # base64-encoded: more than a queue message holds)
    long_name = "報告書" * 100 + "四.txt"
    longest_name = "報" * 996 + ".txt"
    names = [long_name, longest_name] + [f"doc-{index}.txt" for index in range(4)]
    with make_pipeline(settings={"TARGET_LANGUAGES": TEN_LANGUAGES}) as pipeline:
        for name in names:
            pipeline.upload(name, "Hello.", metadata={"targetlanguages": "fr,de,es"} if name == longest_name else None)
        pipeline.deliver_as_one_batch(names)

        # WHEN the timer runs until all are announced
        messages = {message["subject"].split("/", 1)[1]: message for message in pipeline.run_until_announced(6)}
        referenced = pipeline.services.blobs.path_of(messages[longest_name]["dataref"])
        stored = json.loads(pipeline.storage.download(referenced.container, referenced.name))
        states = {
            name: pipeline.services.ledger.latest_version(name_key(pipeline.source, name)).state for name in names
        }

    # THEN every document is announced: the largest message by reference to the whole event, the others inline
    assert set(messages) == set(names)
    for message in [*messages.values(), stored]:
        assert_valid_message(message)
    assert "data" not in messages[longest_name]
    assert (stored["id"], stored["data"]["status"]) == (messages[longest_name]["id"], "Succeeded")
    assert [target["language"] for target in stored["data"]["targets"]] == ["fr", "de", "es"]
    inline = messages[long_name]["data"]
    assert (inline["status"], len(inline["targets"])) == ("Succeeded", 10)
    assert all(len(json.dumps(message, ensure_ascii=False).encode()) <= 45_000 for message in messages.values())
    assert set(states.values()) == {DocumentState.COMPLETED}


def test_a_message_the_outbox_refuses_holds_back_only_its_document_never_the_others_or_the_tick(
    make_pipeline, monkeypatch
):
    # GIVEN the app's splitting of long Table properties turned off, so real Azurite refuses one document's message
    long_name = "報告書" * 100 + "四.txt"
    names = [long_name, "short-1.txt", "short-2.txt"]
    with make_pipeline(settings={"TARGET_LANGUAGES": TEN_LANGUAGES}) as pipeline:
        for name in names:
            pipeline.upload(name, f"Hello from {name}.")  # different bytes: none waits for another's translation
        with monkeypatch.context() as patch:
            patch.setattr(shared.records, "PROPERTY_CHARS", 10**9)
            pipeline.deliver_as_one_batch(names)
            # WHEN the timer runs (through the test host, which raises whatever the function raises)
            first = {message["subject"].split("/", 1)[1] for message in pipeline.run_until_announced(2)}
            pipeline.tick()
            held_back = len(pipeline.collect())
        # THEN the others are announced and the tick goes on; once the outbox takes it, the last one follows
        later = {
            m["subject"].split("/", 1)[1]
            for m in pipeline.run_until_announced(3, clock=lambda: utc_now() + timedelta(minutes=2))
        }
        jobs = pipeline.services.ledger.active_jobs()

    assert first == {"short-1.txt", "short-2.txt"}
    assert held_back == 2
    assert later == set(names)
    assert jobs == []


@pytest.mark.parametrize(
    ("first", "second", "left"),
    [
        ("fr,de", "es", ["es/contract.txt"]),
        ("zh-Hans", "zh-hans", ["zh-Hans/contract.txt"]),  # one spelling of each code: one folder
    ],
)
def test_a_reupload_in_other_languages_leaves_no_output_of_the_replaced_version(pipeline, first, second, left):
    pipeline.drop("contract.txt", "First draft.", metadata={"targetlanguages": first})
    pipeline.run_until_announced(1)
    pipeline.drop("contract.txt", "Second draft.", metadata={"targetlanguages": second})

    latest = pipeline.run_until_announced(2)[1]

    assert sorted(pipeline.storage.blob_names(pipeline.target)) == left
    assert [target["language"] for target in latest["data"]["targets"]] == [name.split("/")[0] for name in left]
    assert latest["data"]["status"] == "Succeeded"


def test_glossaries_are_found_without_listing_the_whole_glossary_container(pipeline, monkeypatch):
    # GIVEN 2,000 other blobs in the glossary container next to the one glossary that applies
    container = pipeline.storage.service.get_container_client(pipeline.glossaries)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda index: container.upload_blob(f"archive/{index:04}.tsv", b"a\tb\n"), range(1000)))
        list(pool.map(lambda index: container.upload_blob(f"other-{index:04}.tsv", b"a\tb\n"), range(1000)))
    pipeline.storage.upload(pipeline.glossaries, "fr.TSV", "Contoso\tCONTOSO-FR\n")
    listed: list[str] = []
    list_blobs = ContainerClient.list_blobs

    def counting(self, *args, **kwargs):
        for blob in list_blobs(self, *args, **kwargs):
            listed.append(blob.name)
            yield blob

    monkeypatch.setattr(ContainerClient, "list_blobs", counting)

    # WHEN a document is translated into fr and de
    pipeline.drop("brand.txt", "Contoso makes widgets.")
    [message] = pipeline.run_until_announced(1)

    # THEN only the glossary itself was listed, and it was applied to French only
    assert message["data"]["status"] == "Succeeded"
    assert listed == ["fr.TSV"]
    assert "CONTOSO-FR" in pipeline.translated("fr", "brand.txt")
    assert "CONTOSO-FR" not in pipeline.translated("de", "brand.txt")


@pytest.mark.parametrize(
    ("settings", "setting"),
    [({"TARGET_LANGUAGES": "fr,xx"}, "TARGET_LANGUAGES"), ({"SOURCE_LANGUAGE": "xx"}, "SOURCE_LANGUAGE")],
)
def test_a_language_setting_the_translator_refuses_fails_that_language_only(make_pipeline, settings, setting):
    # GIVEN 20 documents waiting for one batch under a language setting the Translator refuses, and one document
    # whose metadata asks for a language it accepts
    names = [f"doc-{index:02}.txt" for index in range(20)]
    with make_pipeline(settings=settings) as pipeline:
        for name in names:
            pipeline.upload(name, "Hello.")
        pipeline.upload("fine.txt", "Hello.", metadata={"targetlanguages": "es"})

        # WHEN they are submitted
        pipeline.deliver_as_one_batch([*names, "fine.txt"])
        results = pipeline.run_until_announced(21)
        posts = pipeline.calls("start_translation")

    # THEN a refused target language fails alone, naming the setting, and every other language is translated; a
    # refused source language fails every document
    failed = sorted(message["data"]["source"]["name"] for message in results if message["data"]["status"] == "Failed")
    assert all(setting in message["data"]["error"]["message"] for message in results if message["data"]["error"])
    if setting == "TARGET_LANGUAGES":
        partial = sorted(m["data"]["source"]["name"] for m in results if m["data"]["status"] == "PartiallySucceeded")
        assert (partial, outcomes(results)["fine.txt"]) == (names, ("Succeeded", None))
        for message in results:
            targets = {target["language"]: target for target in message["data"]["targets"]}
            if "xx" in targets:
                assert (targets["fr"]["status"], targets["xx"]["status"]) == ("Succeeded", "Failed")
                assert targets["xx"]["error"]["code"] == "InvalidTargetLanguages"
        assert pipeline.translated("fr", "doc-00.txt").startswith("[fr] ")
        assert posts == 2  # the refused batch, then all 21 without 'xx'
    else:
        # the source language applies to every document; the 20 identical ones are one content: the first is posted
        # (with fine.txt), the other 19 wait for its result, then go together
        assert (failed, posts) == ([*names, "fine.txt"], 2)
