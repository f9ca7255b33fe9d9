"""Crash anywhere: trigger processes are killed with SIGKILL at a random moment (seeded) while they record, claim and
submit. The host redelivers the events; the poller's recovery ticks (claims expired) finish the work. Every document
is announced and is in exactly one translation job: recovery adopts a job an interrupted submission already created
instead of submitting again.

Killing the poller process is not covered here: see the output-binding window in docs/reliability.md.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from shared.records import utc_now
from tests.support.functions_host import REPO_ROOT


def crash_run(make_pipeline, tmp_path, seed: int, documents: int = 12) -> dict:
    rng = random.Random(seed)
    with make_pipeline() as pipeline:
        names = [f"crash-{seed}/doc-{index:02}.txt" for index in range(documents)]
        for name in names:
            pipeline.upload(name, f"{name} must survive a crash.")
        events, output = tmp_path / f"events-{seed}.json", tmp_path / f"out-{seed}.jsonl"
        events.write_text(json.dumps(names))
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.support.trigger_worker", str(events), str(output), "4"],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.8))  # the 12 events take about a second: the kill lands anywhere in them
        interrupted = worker.poll() is None
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        messages = [json.loads(line) for line in output.read_text().splitlines()] if output.exists() else []

        for name in names:  # at-least-once: the host delivers every unfinished event again
            pipeline.event(name)
        for minutes in (10, 20):  # the dead worker's lease and claims have expired by then
            pipeline.tick_at(lambda minutes=minutes: utc_now() + timedelta(minutes=minutes))
        messages += pipeline.run_until_announced(documents - len(messages), timeout=120)

        jobs = pipeline.jobs_per_source()
        return {
            "announced": {m["data"]["source"]["name"] for m in messages},
            "ids": {m["data"]["source"]["name"]: m["id"] for m in messages},
            "messages": len(messages),
            "names": names,
            "jobs_per_document": {name: len(jobs[name]) for name in names},
            "interrupted": interrupted,
            "posts": sum(pipeline.emulator_stats()["requests"].get("start_translation", {}).values()),
        }


def check(result: dict) -> None:
    assert result["announced"] == set(result["names"])
    assert set(result["jobs_per_document"].values()) == {1}, result["jobs_per_document"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_trigger_processes_killed_at_random_lose_nothing_and_submit_nothing_twice(make_pipeline, tmp_path, seed):
    result = crash_run(make_pipeline, tmp_path, seed)
    print(f"\ncrash seed {seed}: killed mid-run {result['interrupted']}, {result['posts']} POSTs, one job per document")
    check(result)


@pytest.mark.stress
def test_twenty_seeded_crash_runs(make_pipeline, tmp_path):
    results = [crash_run(make_pipeline, tmp_path, seed) for seed in range(100, 120)]
    for result in results:
        check(result)
    interrupted = sum(result["interrupted"] for result in results)
    posts = sum(result["posts"] for result in results)
    print(f"\n20 crash runs: {interrupted} killed mid-run, {posts} POSTs for {20 * 12} documents, one job per document")
