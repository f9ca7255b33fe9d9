"""Never translate the same content twice, on Azurite and the emulator: re-uploads and copies of translated bytes
get server-side copies of the earlier outputs; anything that changes the translation means a real one."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from azure.storage.blob import BlobClient

from shared.records import ContentRecord
from tests.support.messages import assert_valid_message

TEXT = "The onboarding handbook.\nRead it on your first day."


def by_name(messages: list[dict]) -> dict[str, dict]:
    return {message["data"]["source"]["name"]: message for message in messages}


def test_a_reupload_of_the_same_bytes_is_announced_from_the_earlier_translation(pipeline):
    pipeline.drop("handbook.txt", TEXT)
    [first] = pipeline.run_until_announced(1)
    french = pipeline.translated("fr", "handbook.txt")

    pipeline.drop("handbook.txt", TEXT)  # same bytes, new ETag (sync tools do this)
    [_, second] = pipeline.run_until_announced(2)

    assert_valid_message(second)
    data = second["data"]
    assert second["id"] != first["id"]
    assert data["status"] == "Succeeded"
    assert data["jobId"] is None
    assert data["source"]["etag"] != first["data"]["source"]["etag"]
    assert data["reusedFrom"] == {
        "container": pipeline.source,
        "name": "handbook.txt",
        "etag": first["data"]["source"]["etag"],
        "jobId": first["data"]["jobId"],
    }
    assert [(t["language"], t["status"], t["characters"]) for t in data["targets"]] == [
        ("fr", "Succeeded", 0),
        ("de", "Succeeded", 0),
    ]
    assert pipeline.translated("fr", "handbook.txt") == french
    assert pipeline.calls("start_translation") == 1


def test_a_copy_under_another_name_gets_copies_of_the_outputs(pipeline):
    pipeline.drop("handbook.txt", TEXT)
    [first] = pipeline.run_until_announced(1)

    pipeline.drop("teams/sales/handbook-copy.txt", TEXT)
    copy = by_name(pipeline.run_until_announced(2))["teams/sales/handbook-copy.txt"]

    assert copy["data"]["reusedFrom"]["jobId"] == first["data"]["jobId"]
    for language in ("fr", "de"):
        assert pipeline.translated(language, "teams/sales/handbook-copy.txt") == pipeline.translated(
            language, "handbook.txt"
        )
    assert [t["name"] for t in copy["data"]["targets"]] == [
        "fr/teams/sales/handbook-copy.txt",
        "de/teams/sales/handbook-copy.txt",
    ]
    assert pipeline.calls("start_translation") == 1


def test_identical_uploads_at_once_are_translated_once(pipeline):
    names = [f"drop/same-{index}.txt" for index in range(6)]
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda name: pipeline.upload(name, TEXT), names))
    with ThreadPoolExecutor(6) as pool:  # their events are delivered concurrently, as Event Grid may
        list(pool.map(pipeline.event, names))

    messages = by_name(pipeline.run_until_announced(6))

    assert pipeline.calls("start_translation") == 1
    translated = [name for name in names if messages[name]["data"]["reusedFrom"] is None]
    assert len(translated) == 1
    assert all(messages[name]["data"]["status"] == "Succeeded" for name in names)
    assert {pipeline.translated("fr", name) for name in names} == {pipeline.translated("fr", translated[0])}


def test_a_changed_glossary_means_a_real_translation(pipeline):
    pipeline.storage.upload(pipeline.glossaries, "fr.tsv", b"handbook\tmanuel\n")
    pipeline.drop("handbook.txt", TEXT)
    pipeline.run_until_announced(1)
    pipeline.storage.upload(pipeline.glossaries, "fr.tsv", b"handbook\tguide\n")

    pipeline.drop("handbook.txt", TEXT)
    [_, second] = pipeline.run_until_announced(2)

    assert second["data"]["reusedFrom"] is None
    assert pipeline.calls("start_translation") == 2
    assert "guide" in pipeline.translated("fr", "handbook.txt")


def test_other_languages_or_an_earlier_output_gone_mean_a_real_translation(pipeline):
    pipeline.drop("handbook.txt", TEXT)
    pipeline.run_until_announced(1)

    pipeline.drop("spanish.txt", TEXT, metadata={"targetlanguages": "es"})
    pipeline.storage.service.get_blob_client(pipeline.target, "de/handbook.txt").delete_blob()
    pipeline.drop("handbook-again.txt", TEXT)
    messages = by_name(pipeline.run_until_announced(3))

    assert messages["spanish.txt"]["data"]["reusedFrom"] is None
    assert messages["handbook-again.txt"]["data"]["reusedFrom"] is None
    assert messages["handbook-again.txt"]["data"]["status"] == "Succeeded"
    assert pipeline.calls("start_translation") == 3


def test_an_output_changed_since_is_not_copied(pipeline):
    pipeline.drop("handbook.txt", TEXT)
    pipeline.run_until_announced(1)
    pipeline.storage.upload(pipeline.target, "fr/handbook.txt", b"edited by hand")

    pipeline.drop("handbook-copy.txt", TEXT)
    copy = by_name(pipeline.run_until_announced(2))["handbook-copy.txt"]

    assert copy["data"]["reusedFrom"] is None
    assert pipeline.translated("fr", "handbook-copy.txt").startswith("[fr] ")


def test_a_large_blob_without_content_md5_is_recognised_by_its_sha256(pipeline):
    text = ("A long handbook line that repeats. " * 40 + "\n") * 200  # about 280 KB, uploaded in blocks
    for name in ("big.txt", "big-copy.txt"):
        client: BlobClient = pipeline.storage.service.get_blob_client(pipeline.source, name)
        client._config.max_single_put_size = 64 * 1024  # force Put Block + Put Block List
        client._config.max_block_size = 64 * 1024
        client.upload_blob(text.encode(), overwrite=True)
        assert client.get_blob_properties().content_settings.content_md5 is None
    pipeline.event("big.txt")
    pipeline.run_until_announced(1)

    pipeline.event("big-copy.txt")
    copy = by_name(pipeline.run_until_announced(2))["big-copy.txt"]

    assert copy["data"]["reusedFrom"]["name"] == "big.txt"
    [record] = pipeline.services.ledger.partition(ContentRecord)
    assert pipeline.services.ledger.document(record.document_key).content_hash.startswith("sha256:")


def test_with_reuse_off_every_version_is_translated(make_pipeline):
    with make_pipeline(settings={"REUSE_TRANSLATIONS": "false"}) as pipeline:
        pipeline.drop("handbook.txt", TEXT)
        pipeline.run_until_announced(1)
        pipeline.drop("handbook-copy.txt", TEXT)
        messages = pipeline.run_until_announced(2)

        assert [message["data"]["reusedFrom"] for message in messages] == [None, None]
        assert pipeline.calls("start_translation") == 2
        assert pipeline.services.ledger.partition(ContentRecord) == []
