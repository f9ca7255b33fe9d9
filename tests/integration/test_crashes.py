"""Crash anywhere: a trigger process and a timer process are each killed with SIGKILL at a random moment (seeded)
while they record, claim, submit, poll and announce. The host redelivers the blob events (a timer run is never
retried); the poller's recovery ticks (claims expired, outbox requests overdue) finish the work. Every document is
announced and is in exactly one translation job: recovery adopts a job an interrupted submission already created
instead of submitting again.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import timedelta

import pytest

from shared.outbox import CONFIRM_GRACE
from shared.records import utc_now
from tests.support.functions_host import REPO_ROOT


def start_worker(*arguments: str) -> subprocess.Popen:
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.support.host_worker", *arguments],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "ready"
    return worker


def kill(worker: subprocess.Popen) -> bool:
    """SIGKILL; True when the worker was still running (killed mid-run)."""
    running = worker.poll() is None
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    return running


def crash_run(make_pipeline, tmp_path, seed: int, documents: int = 12) -> dict:
    rng = random.Random(seed)
    with make_pipeline() as pipeline:
        names = [f"crash-{seed}/doc-{index:02}.txt" for index in range(documents)]
        for name in names:
            pipeline.upload(name, f"{name} must survive a crash.")
        events = tmp_path / f"events-{seed}.json"
        events.write_text(json.dumps(names))
        trigger = start_worker("trigger", str(events), "4")
        timer = start_worker("poller", "40", "0.05")
        moments = sorted((("trigger", rng.uniform(0.0, 0.8)), ("timer", rng.uniform(0.2, 2.0))), key=lambda m: m[1])
        started, interrupted = time.monotonic(), {}
        for which, moment in moments:  # the events take about a second, the timer runs about two
            time.sleep(max(0.0, started + moment - time.monotonic()))
            interrupted[which] = kill(trigger if which == "trigger" else timer)

        # A POST the dead process had on the wire still creates its job. Recovery looks for it only once the claim
        # timeout has passed (5 minutes, simulated below by shifting the clock); give it the real second it needs.
        time.sleep(1.0)
        for name in names:  # at-least-once: the host delivers every unfinished event again
            pipeline.event(name)
        recovery = max(timedelta(minutes=10), CONFIRM_GRACE)  # the dead workers' lease, claims, outbox requests
        for shift in (recovery, 2 * recovery):
            pipeline.tick_at(lambda shift=shift: utc_now() + shift)
        messages = pipeline.run_until_announced(documents, timeout=120)

        ids = defaultdict(set)
        for message in messages:
            ids[message["data"]["source"]["name"]].add(message["id"])
        jobs = pipeline.jobs_per_source()
        return {
            "ids": ids,
            "messages": len(messages),
            "names": names,
            "jobs_per_document": {name: len(jobs[name]) for name in names},
            "interrupted": interrupted,
            "posts": sum(pipeline.emulator_stats()["requests"].get("start_translation", {}).values()),
        }


def check(result: dict) -> None:
    assert set(result["ids"]) == set(result["names"])  # every document announced
    assert all(len(ids) == 1 for ids in result["ids"].values())  # with one message id each
    assert set(result["jobs_per_document"].values()) == {1}, result["jobs_per_document"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_trigger_and_timer_processes_killed_at_random_lose_nothing_and_submit_nothing_twice(
    make_pipeline, tmp_path, seed
):
    result = crash_run(make_pipeline, tmp_path, seed)
    print(
        f"\ncrash seed {seed}: killed mid-run {result['interrupted']}, {result['posts']} POSTs, "
        f"{result['messages']} messages, one job per document"
    )
    check(result)


@pytest.mark.stress
def test_twenty_seeded_crash_runs(make_pipeline, tmp_path):
    results = [crash_run(make_pipeline, tmp_path, seed) for seed in range(100, 120)]
    for result in results:
        check(result)
    triggers = sum(result["interrupted"]["trigger"] for result in results)
    timers = sum(result["interrupted"]["timer"] for result in results)
    posts = sum(result["posts"] for result in results)
    messages = sum(result["messages"] for result in results)
    print(
        f"\n20 crash runs: trigger killed mid-run {triggers}, timer killed mid-run {timers}; {posts} POSTs and "
        f"{messages} messages for {20 * 12} documents, one job and one message id per document"
    )
