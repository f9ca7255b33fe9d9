"""Faults: the Translator throttles (with and without Retry-After), fails with 500/503 and answers slowly — every
document still ends announced, and the Translator calls stay within 3x those of the same run without faults."""

from __future__ import annotations

from collections import Counter

import pytest

FAULTS = {
    "with Retry-After": {"throttle_rate": 0.3, "retry_after": 0.2, "error_rate": 0.05, "latency_ms": 200, "seed": 5},
    "without Retry-After": {"throttle_rate": 0.3, "retry_after": 0.0, "error_rate": 0.05, "latency_ms": 200, "seed": 6},
}


def run(make_pipeline, emulator_settings: dict, documents: int) -> tuple[Counter, int]:
    with make_pipeline(emulator_settings=emulator_settings) as pipeline:
        names = [f"fault-{index:02}.txt" for index in range(documents)]
        for name in names:
            pipeline.drop(name, f"{name} has something to say.")
        messages = pipeline.run_until_announced(documents, timeout=240, interval=0.5)
        assert sorted(m["data"]["source"]["name"] for m in messages) == names
        assert {m["data"]["status"] for m in messages} == {"Succeeded"}
        calls = sum(sum(codes.values()) for codes in pipeline.emulator_stats()["requests"].values())
        return Counter(m["data"]["source"]["name"] for m in messages), calls


def check_faults(make_pipeline, configurations: list[str], documents: int) -> None:
    announced, baseline_calls = run(make_pipeline, {}, documents)
    for name in configurations:
        faulty, faulty_calls = run(make_pipeline, FAULTS[name], documents)
        ratio = faulty_calls / baseline_calls
        print(f"\nfaults {name}: {faulty_calls} Translator calls vs {baseline_calls} without faults = {ratio:.2f}x")
        assert faulty == announced  # every document, once
        assert ratio <= 3.0


def test_under_throttling_errors_and_latency_every_document_is_announced_without_a_retry_storm(make_pipeline):
    check_faults(make_pipeline, ["with Retry-After"], documents=4)


@pytest.mark.stress
def test_both_throttling_kinds_with_more_documents(make_pipeline):
    check_faults(make_pipeline, list(FAULTS), documents=12)


def test_with_stale_status_reads_every_document_is_announced_with_its_real_result(make_pipeline):
    """--stale-reads: job and document statuses come from a cache of the last 3 s of answers, so a job can read as
    ended while its document list still shows a document running, and statuses go backwards. The poller must wait
    for the results instead of announcing a document as not translated."""
    with make_pipeline(emulator_settings={"stale_reads": 3, "seed": 11, "chars_per_second": 400}) as pipeline:
        names = [f"stale-{index:02}.txt" for index in range(6)]
        for name in names:
            pipeline.drop(name, f"{name} is read from a cache.")
        messages = pipeline.run_until_announced(len(names), timeout=180, interval=0.2)
        assert sorted(m["data"]["source"]["name"] for m in messages) == names
        assert {m["data"]["status"] for m in messages} == {"Succeeded"}, [m["data"].get("error") for m in messages]
        assert all(target["status"] == "Succeeded" for m in messages for target in m["data"]["targets"])
