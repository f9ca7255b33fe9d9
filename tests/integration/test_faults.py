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
