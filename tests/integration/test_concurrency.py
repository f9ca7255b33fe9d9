"""Concurrency: several processes, each with several threads, invoke the blob trigger for the same blobs, every
event delivered twice in shuffled order. Every document is claimed by exactly one batch, translated once per
language, announced once."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.functions_host import REPO_ROOT


def run_concurrently(pipeline, tmp_path, *, documents: int, processes: int, threads: int, seed: int) -> dict:
    names = [f"load/doc-{index:04}.txt" for index in range(documents)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda name: pipeline.upload(name, f"Document {name} says hello."), names))
    events = names * 2
    random.Random(seed).shuffle(events)
    workers = []
    for index in range(processes):
        events_file = tmp_path / f"events-{index}.json"
        events_file.write_text(json.dumps(events[index::processes]))
        command = [sys.executable, "-m", "tests.support.host_worker", "trigger", str(events_file), str(threads)]
        workers.append(subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL))
    for process in workers:
        assert process.wait(timeout=600) == 0, "a trigger invocation raised (it would be retried, then poisoned)"
    pipeline.run_until_announced(documents, timeout=300)
    pipeline.tick()
    return {"names": names, "messages": pipeline.collect()}


def check(pipeline, result: dict) -> dict:
    names, messages = result["names"], result["messages"]
    ids_per_document = defaultdict(set)
    for message in messages:
        ids_per_document[message["data"]["source"]["name"]].add(message["id"])
    assert set(ids_per_document) == set(names)  # nothing lost
    assert all(len(ids) == 1 for ids in ids_per_document.values())  # one distinct message id per document version
    assert {message["data"]["status"] for message in messages} == {"Succeeded"}
    stats = pipeline.emulator_stats()
    assert stats["translationsByLanguage"] == {"fr": len(names), "de": len(names)}  # translated once per language
    jobs = pipeline.jobs_per_source()
    assert all(len(jobs[name]) == 1 for name in names)  # claimed by exactly one batch
    return {
        "documents": len(names),
        "messages": len(messages),
        "duplicate_announcements": len(messages) - len(names),
        "batches": sum(stats["requests"]["start_translation"].values()),
    }


def test_two_processes_of_four_threads_and_every_event_twice(pipeline, tmp_path):
    result = run_concurrently(pipeline, tmp_path, documents=100, processes=2, threads=4, seed=11)
    figures = check(pipeline, result)
    print(f"\nconcurrency (fast): {figures}")
    assert figures["duplicate_announcements"] == 0


@pytest.mark.stress
def test_four_processes_of_eight_threads_1000_blobs_every_event_twice(pipeline, tmp_path):
    result = run_concurrently(pipeline, tmp_path, documents=1000, processes=4, threads=8, seed=7)
    figures = check(pipeline, result)
    print(f"\nconcurrency (stress): {figures}")
    assert figures["duplicate_announcements"] == 0
