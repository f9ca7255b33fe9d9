"""State records survive the trip to a Table entity and back."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.records import (
    PROPERTY_CHARS,
    BatchMember,
    DocumentRecord,
    DocumentState,
    InboxEntry,
    JobRecord,
    JobState,
    OutboxEntry,
    document_key,
    member_partition,
    split_long_strings,
)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_document_record_round_trip():
    record = DocumentRecord(
        key="k",
        container="inbox",
        name="a/b.txt",
        source_etag="0x1",
        bytes=5,
        languages=("fr", "de"),
        received_at=NOW,
        content_type="text/plain",
        state=DocumentState.RECEIVED,
        targets=[{"language": "fr", "status": "Succeeded"}],
    )
    entity = record.to_entity()
    assert entity["PartitionKey"] == "document"
    assert entity["Languages"] == "fr,de"
    back = DocumentRecord.from_entity(entity, "W/1")
    assert back.languages == ("fr", "de")
    assert back.state is DocumentState.RECEIVED
    assert back.received_at == NOW
    assert back.targets == [{"language": "fr", "status": "Succeeded"}]
    assert back.job_id is None
    assert back.etag == "W/1"


def test_inbox_entry_claimability():
    entry = InboxEntry(key="k", container="c", name="n", source_etag="e", bytes=1, languages=("fr",), received_at=NOW)
    assert entry.is_claimable(NOW)
    entry.not_before = NOW.replace(hour=10)
    assert not entry.is_claimable(NOW)
    entry.not_before, entry.claim_id = None, "batch"
    assert not entry.is_claimable(NOW)
    assert InboxEntry.from_entity(entry.to_entity(), "W/1").attempts == 0


def test_batch_members_live_in_their_batch_partition():
    member = BatchMember(
        batch_id="b1", key="k", container="c", name="n", source_etag="e", bytes=1, languages=("fr",), received_at=NOW
    )
    assert member.to_entity()["PartitionKey"] == member_partition("b1")


def test_keys_are_derived_and_table_safe():
    key = document_key("inbox", "a/b#?.txt", '"0x8DC"')
    assert key == document_key("inbox", "a/b#?.txt", "0x8DC")  # quotes around an ETag do not matter
    assert key != document_key("inbox", "a/b#?.txt", "0x8DD")
    assert all(char not in key for char in "/\\#?")


def _members(count: int) -> list[BatchMember]:
    return [
        BatchMember(
            batch_id="b",
            key=f"k{index:04}",
            container="c",
            name=f"{index}.txt",
            source_etag="e",
            bytes=1,
            languages=("fr",),
            received_at=NOW,
        )
        for index in range(count)
    ]


def test_a_job_remembers_the_members_it_announced_early_across_a_table_round_trip():
    members = _members(1000)  # a full batch: the bitmap stays small (about 170 characters)
    job = JobRecord(
        key="j",
        batch_id="b",
        state=JobState.ACTIVE,
        status="Running",
        created_at=NOW,
        next_poll_at=NOW,
        document_count=1000,
    )
    assert job.announced_keys(members) == set()

    job.mark_announced(members, {"k0000", "k0007", "k0008"})
    job.mark_announced(list(reversed(members)), {"k0999"})  # the members' order as read does not matter
    restored = JobRecord.from_entity(job.to_entity(), "W/1")

    assert restored.announced_keys(members) == {"k0000", "k0007", "k0008", "k0999"}
    assert len(restored.announced or "") < 200


def test_strings_longer_than_one_table_property_are_kept_in_parts_and_joined_back():
    message = "報" * 40_000 + "😀" * 10_000  # 70,000 UTF-16 code units: more than two properties' worth
    entry = OutboxEntry(key="id", message=message, requested_at=NOW)
    entity = entry.to_entity()
    strings = {name: value for name, value in entity.items() if name.startswith("Message")}
    assert list(strings) == ["Message", "Message_Part1", "Message_Part2", "Message_Part3"]
    assert all(len(value.encode("utf-16-le")) <= 64 * 1024 for value in strings.values())
    assert OutboxEntry.from_entity(entity, "W/1").message == message


def test_a_string_of_exactly_one_part_is_not_joined_with_anything():
    entry = OutboxEntry(key="id", message="x" * PROPERTY_CHARS, requested_at=NOW)
    assert OutboxEntry.from_entity(entry.to_entity(), "W/1").message == "x" * PROPERTY_CHARS


def test_merged_properties_are_split_too():
    merged = split_long_strings({"PartitionKey": "document", "RowKey": "k", "Targets": "t" * (PROPERTY_CHARS + 1)})
    assert (len(merged["Targets"]), merged["Targets_Part1"]) == (PROPERTY_CHARS, "t")
