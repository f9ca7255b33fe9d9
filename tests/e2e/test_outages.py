"""Faults against the whole stack as real processes. The emulator throttles 30 % of requests (Retry-After 0.2 s),
fails 5 % with 500/503 and answers 200 ms late; it is restarted while a job is in flight (--state-dir keeps its jobs);
then Azurite (blob, queue and table at once) is stopped while jobs run, or while blob triggers run. Every document
still ends announced, once, and succeeded.

Translator calls are compared with the same run without faults in three ways, all printed. A retry storm shows as
many attempts per successful call: that amplification stays within 3x. Extra jobs show as more successful
operations other than status polls (formats, POSTs, document lists): within 3x when the outage hits running jobs.
The total also counts one status poll per timer run while jobs are in flight, which grows with how long the run
takes (and an outage makes it longer), not with retries."""

from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from contextlib import contextmanager

import pytest
import requests
from azure.data.tables import TableClient
from azure.storage.blob import BlobServiceClient

from devstack.stack import Ports, Stack
from tests.support.messages import receive_completions

# A batch claimed when Azurite goes away keeps its documents until its claim expires (recovery then adopts its job or
# releases them): 60 s here, so that recovery falls inside the 240 s a run may take (the default is 300 s).
SETTINGS = {"TARGET_LANGUAGES": "fr,de", "POLL_SCHEDULE": "*/2 * * * * *", "CLAIM_TIMEOUT_SECONDS": "60"}
FAULTS = (
    "--throttle-rate", "0.3", "--retry-after", "0.2", "--error-rate", "0.05", "--latency-ms", "200", "--seed", "5",
)  # fmt: skip


def emulator_requests(stack: Stack) -> Counter[tuple[str, str]]:
    """The emulator's answered requests by (operation, status code)."""
    stats = requests.get(f"http://127.0.0.1:{stack.ports.emulator}/emulator/stats", timeout=30).json()
    return Counter({(op, code): count for op, codes in stats["requests"].items() for code, count in codes.items()})


def successful(calls: Counter[tuple[str, str]]) -> int:
    return sum(count for (_, code), count in calls.items() if code.startswith("2"))


def operations(calls: Counter[tuple[str, str]]) -> int:
    """Successful calls other than status polls: what the work needed."""
    return successful(calls) - calls[("list_translations", "200")]


def breakdown(calls: Counter[tuple[str, str]]) -> str:
    return ", ".join(f"{operation} {code}: {count}" for (operation, code), count in sorted(calls.items()))


def posts(calls: Counter[tuple[str, str]]) -> int:
    return sum(count for (operation, _), count in calls.items() if operation == "start_translation")


@contextmanager
def app_paused(stack: Stack):
    """SIGSTOP the Functions runner while the emulator restarts, so no call is made between reading the emulator's
    counters and stopping it (each emulator process counts its own)."""
    [host] = [child for child in stack.children if child.name == "host"]
    os.killpg(host.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(host.pid, signal.SIGCONT)


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def all_submitted(values: dict[str, str], documents: int) -> bool:
    """Every document recorded and in a job, read from the app's state table (not through the emulator's API, whose
    calls would count)."""
    table = TableClient.from_connection_string(values["DocumentStorage"], values["STATE_TABLE"])
    states = [entity["State"] for entity in table.query_entities("PartitionKey eq 'document'")]
    return len(states) == documents and all(state in ("Submitted", "Completed") for state in states)


def run(tmp_path, documents: int, *, faults: bool, outage_seconds: float = 0, outage_during: str = "") -> dict:
    """Upload half the documents and wait until a job is in flight (with faults, restart the emulator then). Upload
    the rest; with an outage, stop Azurite while the jobs run ("jobs") or while the blob triggers run ("triggers").
    Then wait for every announcement. Returns the messages and the Translator calls."""
    stack = Stack(Ports.free(), tmp_path, tmp_path / "local.settings.json", emulator_options=FAULTS if faults else ())
    values = stack.start(settings_overrides=SETTINGS)
    calls: Counter[tuple[str, str]] = Counter()
    try:
        blobs = BlobServiceClient.from_connection_string(values["DocumentStorage"])
        names = [f"outage/doc-{index:02}.txt" for index in range(documents)]

        def upload(batch: list[str]) -> None:
            for name in batch:
                blobs.get_blob_client(values["SOURCE_CONTAINER"], name).upload_blob(f"{name} keeps going.".encode())

        upload(names[: documents // 2])
        wait_for(lambda: posts(emulator_requests(stack)) >= 1)  # a job is in flight (both runs have this shape)
        if faults:
            with app_paused(stack):
                calls += emulator_requests(stack)
                stack.restart_emulator()
        upload(names[documents // 2 :])
        if outage_seconds:
            if outage_during == "jobs":
                wait_for(lambda: all_submitted(values, documents), timeout=120)
            else:
                time.sleep(1.0)  # the blob triggers are recording and submitting the second half
            stack.stop_part("azurite")
            time.sleep(outage_seconds)
            stack.start_azurite()
        messages = receive_completions(values, documents, timeout=240)
        time.sleep(3)  # anything announced twice arrives by now
        messages += receive_completions(values, 0)
        calls += emulator_requests(stack)
        return {"messages": messages, "calls": calls}
    finally:
        stack.stop()


def compare(tmp_path_factory, documents: int, title: str, **faulty_run) -> dict[str, float]:
    """Run without and with faults; check that every document is announced once and succeeded; return the ratios of
    Translator calls (see the module's docstring)."""
    baseline = run(tmp_path_factory.mktemp("baseline"), documents, faults=False)
    faulty = run(tmp_path_factory.mktemp("faults"), documents, faults=True, **faulty_run)
    expected = Counter(f"outage/doc-{index:02}.txt" for index in range(documents))
    for result in (baseline, faulty):
        assert Counter(message["data"]["source"]["name"] for message in result["messages"]) == expected
        failed = [message["data"] for message in result["messages"] if message["data"]["status"] != "Succeeded"]
        assert not failed, json.dumps(failed)[:3000]
    runs = {"faults": faulty["calls"], "baseline": baseline["calls"]}
    totals = {name: calls.total() for name, calls in runs.items()}
    amplification = {name: totals[name] / successful(calls) for name, calls in runs.items()}
    work = {name: operations(calls) for name, calls in runs.items()}
    ratios = {
        "total": totals["faults"] / totals["baseline"],
        "amplification": amplification["faults"] / amplification["baseline"],
        "operations": work["faults"] / work["baseline"],
    }
    print(
        f"\n{title} ({documents} documents; 30 % throttling, 5 % errors, 200 ms, emulator restart): "
        f"Translator calls {totals['faults']} vs {totals['baseline']} without faults = {ratios['total']:.2f}x; "
        f"attempts per successful call {amplification['faults']:.2f} vs {amplification['baseline']:.2f} = "
        f"{ratios['amplification']:.2f}x; operations other than polls {work['faults']} vs {work['baseline']} = "
        f"{ratios['operations']:.2f}x; POSTs {posts(runs['faults'])} vs {posts(runs['baseline'])}"
        f"\n  with faults: {breakdown(runs['faults'])}\n  without: {breakdown(runs['baseline'])}"
    )
    return ratios


def test_an_emulator_restart_and_azurite_down_while_jobs_run_lose_nothing_and_cause_no_retry_storm(tmp_path_factory):
    ratios = compare(tmp_path_factory, 8, "Azurite down 5 s while jobs run", outage_seconds=5, outage_during="jobs")
    assert ratios["amplification"] <= 3.0
    assert ratios["operations"] <= 3.0


@pytest.mark.stress
def test_twenty_seconds_without_azurite_while_jobs_run(tmp_path_factory):
    ratios = compare(tmp_path_factory, 24, "Azurite down 20 s while jobs run", outage_seconds=20, outage_during="jobs")
    assert ratios["amplification"] <= 3.0
    assert ratios["operations"] <= 3.0


@pytest.mark.stress
def test_twenty_seconds_without_azurite_while_blob_triggers_run(tmp_path_factory):
    """The harshest moment: each trigger invocation in flight waits in the storage SDK's retries and finishes on its
    own after the outage, so those documents go in small jobs of their own (docs/reliability.md): more operations,
    but still no retry storm. Nothing is lost or announced twice."""
    ratios = compare(
        tmp_path_factory, 24, "Azurite down 20 s while blob triggers run", outage_seconds=20, outage_during="triggers"
    )
    assert ratios["amplification"] <= 3.0
