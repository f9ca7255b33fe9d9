"""The spending cap, MAX_CHARACTERS_PER_DAY, on Azurite and the emulator: what does not fit today waits in the inbox
for the next UTC day (the timer's clock shifted there), with one BudgetReached message a day; what no day can hold is
rejected; the day's charges are settled with what the jobs were charged."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from shared.handlers import document_status
from shared.records import ChargeRecord, charge_partition
from tests.support.messages import assert_valid_budget_message, assert_valid_message

TEXT = "A paragraph of exactly sixty-four characters for the budget test.\n"[:64]  # 64 bytes: 128 characters in fr, de
BUDGET_TYPE = "TranslationAutopilot.BudgetReached"


@pytest.fixture(autouse=True)
def away_from_midnight() -> None:
    """Uploads are recorded on the real clock: a test started a minute before midnight UTC would see two days."""
    now = datetime.now(UTC)
    left = (datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC) - now).total_seconds()
    if left < 120:
        time.sleep(left + 1)


def days_on(days: int):
    """A clock that starts a minute past midnight UTC `days` days on, and runs."""
    begun = datetime.now(UTC)
    midnight = datetime.combine(begun.date() + timedelta(days=days), datetime.min.time(), UTC)
    return lambda: midnight + timedelta(minutes=1) + (datetime.now(UTC) - begun)


def until_jobs_end(pipeline, timeout: float = 30.0) -> None:
    """Documents are announced as they finish; their job's end (when its charge is settled) may be a tick later."""
    deadline = time.monotonic() + timeout
    while pipeline.services.ledger.active_jobs():
        assert time.monotonic() < deadline, "jobs still active"
        pipeline.tick()
        time.sleep(0.2)


def documents(messages: list[dict]) -> dict[str, dict]:
    return {m["data"]["source"]["name"]: m for m in messages if m["type"] != BUDGET_TYPE}


def budget_messages(messages: list[dict]) -> list[dict]:
    return [message for message in messages if message["type"] == BUDGET_TYPE]


def test_what_does_not_fit_today_waits_for_the_next_day_with_one_message_a_day(make_pipeline):
    with make_pipeline(settings={"MAX_CHARACTERS_PER_DAY": "300", "REUSE_TRANSLATIONS": "false"}) as pipeline:
        pipeline.drop("day/a.txt", TEXT)  # 128 of 300
        pipeline.drop("day/b.txt", TEXT)  # 256 of 300
        pipeline.drop("day/c.txt", TEXT)  # would make 384: waits
        pipeline.drop("day/d.txt", TEXT)  # waits too
        messages = pipeline.run_until_announced(3)  # a, b and the day's budget message

        assert sorted(documents(messages)) == ["day/a.txt", "day/b.txt"]
        [reached] = budget_messages(messages)
        assert_valid_budget_message(reached)
        today = datetime.now(UTC).date()
        assert reached["data"]["day"] == today.isoformat()
        assert reached["data"]["maxCharactersPerDay"] == 300
        assert reached["data"]["resumesAt"] == f"{today + timedelta(days=1)}T00:00:00Z"
        status, waiting = document_status("day/c.txt")
        assert (status, waiting["state"], waiting["waitingFor"]) == (200, "Received", "budget")
        assert waiting["waitingUntil"].startswith(str(today + timedelta(days=1)))
        assert document_status("")[1]["inbox"] == {"documents": 2, "waitingForBudget": 2}
        assert document_status("")[1]["budget"]["charactersSpent"] == 256
        until_jobs_end(pipeline)
        charges = pipeline.services.ledger.partition(ChargeRecord, charge_partition(today.isoformat()))
        assert [charge.charged for charge in charges] == [128, 128]  # settled from each job's totalCharacterCharged

        pipeline.drop("day/e.txt", TEXT)  # later the same day: waits without a second message
        pipeline.tick()
        assert len(budget_messages(pipeline.collect())) == 1
        assert pipeline.calls("start_translation") == 2  # a and b, one event each

        day_two = days_on(1)
        messages = pipeline.run_until_announced(6, clock=day_two)  # two of c, d, e, and day two's message
        sent = [name for name in documents(messages) if name not in ("day/a.txt", "day/b.txt")]
        assert sorted(sent) == ["day/c.txt", "day/d.txt"]  # oldest first, in one batch
        assert pipeline.calls("start_translation") == 3
        assert [m["data"]["day"] for m in budget_messages(messages)] == [str(today), str(today + timedelta(days=1))]

        day_three = days_on(2)
        messages = pipeline.run_until_announced(7, clock=day_three)
        assert set(documents(messages)) == {f"day/{letter}.txt" for letter in "abcde"}
        for message in documents(messages).values():
            assert_valid_message(message)
            assert message["data"]["status"] == "Succeeded"
        assert len(budget_messages(messages)) == 2
        assert pipeline.calls("start_translation") == 4


def test_a_document_no_day_can_hold_is_rejected_with_a_reason(make_pipeline):
    with make_pipeline(settings={"MAX_CHARACTERS_PER_DAY": "100"}) as pipeline:
        pipeline.drop("big.txt", TEXT)  # 128 characters in two languages: over 100 by itself
        pipeline.drop("metadata-narrows.txt", TEXT[:40], metadata={"targetlanguages": "fr"})  # 40: fits
        messages = documents(pipeline.run_until_announced(2))

        rejected = messages["big.txt"]
        assert_valid_message(rejected)
        assert rejected["type"] == "TranslationAutopilot.DocumentRejected"
        assert rejected["data"]["error"]["code"] == "OverDailyBudget"
        assert "MAX_CHARACTERS_PER_DAY (100)" in rejected["data"]["error"]["message"]
        assert "128" in rejected["data"]["error"]["message"]
        assert messages["metadata-narrows.txt"]["data"]["status"] == "Succeeded"
        assert budget_messages(pipeline.received) == []


def test_without_a_cap_nothing_is_booked(pipeline):
    pipeline.drop("free.txt", TEXT)
    pipeline.run_until_announced(1)

    today = datetime.now(UTC).date().isoformat()
    assert pipeline.services.ledger.partition(ChargeRecord, charge_partition(today)) == []
    assert document_status("")[1]["budget"] is None
