"""Completion messages: deterministic ids, outcomes, and the JSON Schema in docs/schemas."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from shared.messages import INLINE_MESSAGE_BYTES, Announcement, Outcome, SourceInfo, TargetResult, outcome_of
from shared.problems import Problem
from tests.support.messages import assert_valid_message

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
SOURCE = SourceInfo("inbox", "a/b.txt", "0x8DC", "https://acct.blob.core.windows.net/inbox/a/b.txt", 12, None)


def completed(job_id: str = "job-1", outcome: Outcome = Outcome.SUCCEEDED, **extra) -> Announcement:
    target = TargetResult("fr", "Succeeded", "translated", "fr/a/b.txt", "https://acct.blob.core.windows.net/x", 10)
    extra.setdefault("targets", (target,))
    extra.setdefault("source", SOURCE)
    return Announcement(
        outcome=outcome,
        event_source="https://acct.blob.core.windows.net/inbox",
        received_at=NOW,
        completed_at=NOW,
        job_id=job_id,
        submitted_at=NOW,
        **extra,
    )


def test_message_id_is_deterministic_per_version_and_job():
    assert completed().message_id == completed().message_id
    assert completed().message_id != completed(job_id="job-2").message_id


@pytest.mark.parametrize(
    ("statuses", "outcome"),
    [
        (["Succeeded", "Succeeded"], Outcome.SUCCEEDED),
        (["Succeeded", "Failed"], Outcome.PARTIALLY_SUCCEEDED),
        (["Failed", "Cancelled"], Outcome.FAILED),
        (["Cancelled", "Cancelled"], Outcome.CANCELLED),
        ([], Outcome.FAILED),
    ],
)
def test_outcome_of_targets(statuses, outcome):
    assert outcome_of(statuses) is outcome


def test_completed_and_rejected_messages_match_the_schema():
    assert_valid_message(completed().to_cloud_event())
    rejected = Announcement(
        outcome=Outcome.REJECTED,
        source=SOURCE,
        event_source="https://acct.blob.core.windows.net/inbox",
        received_at=NOW,
        completed_at=NOW,
        error=Problem("EmptyDocument", "empty"),
    )
    event = rejected.to_cloud_event()
    assert_valid_message(event)
    assert event["type"] == "TranslationAutopilot.DocumentRejected"
    assert event["time"] == "2026-11-22T09:00:00Z"


def test_the_schema_refuses_a_succeeded_message_with_an_error():
    event = completed(error=Problem("X", "y")).to_cloud_event()
    with pytest.raises(AssertionError):
        assert_valid_message(event)


def test_long_error_messages_are_cut_to_1000_characters():
    event = completed(outcome=Outcome.FAILED, error=Problem("X", "y" * 5000)).to_cloud_event()
    assert len(event["data"]["error"]["message"]) == 1000


def test_a_message_too_large_to_inline_has_a_reference_form_that_matches_the_schema():
    name = "報" * 1007 + ".txt"
    targets = tuple(
        TargetResult(lang, "Succeeded", "translated", f"{lang}/{name}", f"https://acct/{lang}/{quote(name)}", 1)
        for lang in ("fr", "de", "es")
    )
    big = completed(
        targets=targets, source=SourceInfo("inbox", name, "0x8DC", f"https://acct/inbox/{quote(name)}", 1, None)
    )
    assert len(big.to_json().encode()) > INLINE_MESSAGE_BYTES
    reference = json.loads(big.to_reference_json("https://acct.blob.core.windows.net/translated/_messages/x.json"))
    assert_valid_message(reference)
    assert "data" not in reference
    assert reference["id"] == big.message_id
    assert len(json.dumps(reference).encode()) < INLINE_MESSAGE_BYTES


def test_the_schema_wants_data_or_dataref_not_both():
    event = completed().to_cloud_event()
    with pytest.raises(AssertionError):
        assert_valid_message({**event, "dataref": "https://acct.blob.core.windows.net/translated/_messages/x.json"})
    del event["data"]
    with pytest.raises(AssertionError):
        assert_valid_message(event)
