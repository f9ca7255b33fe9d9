"""Polling at scale: J translation jobs in flight (100, 1,000, 5,000) and one timer run of this app against one of the
naive function, after a first run of each: Translator calls, Table requests and wall time per tick.

The official client script has no shared tick: each of its J waiters asks for its own job once per polling interval
(1 s by default), so it makes J calls per second by construction; it is not run here.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests
from azure.data.tables import TableClient, UpdateMode
from azure.functions.timer import TimerRequest
from azure.storage.blob import BlobServiceClient

from bench import naive_function_app
from bench.harness import API_VERSION, app_settings, base_settings
from devstack.azurite import AzuriteEndpoints, container_sas_url, running_azurite
from devstack.host import Out
from devstack.processes import EMULATOR_KEY, EmulatorProcess, emulator_process
from shared.poller import Poller
from shared.records import JobRecord, JobState, utc_now
from shared.services import current_services

FIGURES = (
    ("translator_calls", "Translator calls per tick", "{:.0f}"),
    ("table_operations", "Table requests per tick", "{:.0f}"),
    ("seconds", "seconds per tick", "{:.2f}"),
)
NEVER_FINISH = ("--chars-per-second", "0.001")  # the jobs stay in flight while they are polled


@contextmanager
def counted_requests() -> Iterator[Counter[int]]:
    """Every HTTP request this process sends, by port (the Azure SDKs and the app's Translator client use requests)."""
    counts: Counter[int] = Counter()
    send = requests.Session.send

    def counting(session, request, **kwargs):
        counts[urlsplit(request.url).port or 0] += 1
        return send(session, request, **kwargs)

    requests.Session.send = counting
    try:
        yield counts
    finally:
        requests.Session.send = send


def start_jobs(azurite: AzuriteEndpoints, emulator: EmulatorProcess, count: int) -> list[str]:
    """`count` one-document jobs that will not finish while this benchmark runs."""
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    source, target = f"poll-src-{uuid.uuid4().hex[:6]}", f"poll-tgt-{uuid.uuid4().hex[:6]}"
    service.create_container(source)
    service.create_container(target)
    service.get_blob_client(source, "slow.txt").upload_blob(b"This takes a very long time to translate.")
    source_url = container_sas_url(azurite.blob_url, source, "r", name="slow.txt")
    api, headers = (
        f"http://127.0.0.1:{emulator.port}/translator/document/batches",
        {"Ocp-Apim-Subscription-Key": EMULATOR_KEY},
    )

    def start(index: int) -> str:
        target_url = container_sas_url(azurite.blob_url, target, "rw", name=f"fr/{index}.txt")
        body = {
            "inputs": [
                {
                    "storageType": "File",
                    "source": {"sourceUrl": source_url},
                    "targets": [{"targetUrl": target_url, "language": "fr"}],
                }
            ]
        }
        response = requests.post(api, params=API_VERSION, json=body, headers=headers, timeout=120)
        response.raise_for_status()
        return response.headers["Operation-Location"].split("?")[0].rstrip("/").rsplit("/", 1)[-1]

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(start, range(count)))


def tick_this_app(settings: dict[str, str], job_ids: list[str]) -> dict[str, Any]:
    with app_settings(settings):
        return _tick_this_app(settings, job_ids)


def _tick_this_app(settings: dict[str, str], job_ids: list[str]) -> dict[str, Any]:
    services = current_services()
    now = utc_now()
    services.ledger.insert_all(
        JobRecord(
            key=job_id,
            batch_id=f"batch-{index}",
            state=JobState.ACTIVE,
            status="NotStarted",
            created_at=now,
            next_poll_at=now,
            document_count=1,
        )
        for index, job_id in enumerate(job_ids)
    )
    Poller(services).tick()  # records each job's first status; the measured tick is the steady state
    return _timed(lambda: Poller(services).tick(), settings)


def tick_naive(settings: dict[str, str], job_ids: list[str]) -> dict[str, Any]:
    with app_settings(settings):
        return _tick_naive(settings, job_ids)


def _tick_naive(settings: dict[str, str], job_ids: list[str]) -> dict[str, Any]:
    table = TableClient.from_connection_string(settings["DocumentStorage"], settings["STATE_TABLE"])
    table.create_table()
    for start in range(0, len(job_ids), 100):
        chunk = job_ids[start : start + 100]
        table.submit_transaction(
            [
                ("upsert", {"PartitionKey": "job", "RowKey": job_id, "Name": job_id}, {"mode": UpdateMode.MERGE})
                for job_id in chunk
            ]
        )
    naive_function_app.poll(TimerRequest(past_due=False), Out())  # the same warm-up tick as this app's
    return _timed(lambda: naive_function_app.poll(TimerRequest(past_due=False), Out()), settings)


def _timed(tick, settings: dict[str, str]) -> dict[str, Any]:
    emulator_port = urlsplit(settings["TRANSLATOR_ENDPOINT"]).port
    table_port = urlsplit(settings["DocumentStorage"].split("TableEndpoint=")[1]).port
    with counted_requests() as counts:
        started = time.perf_counter()
        tick()
        seconds = time.perf_counter() - started
    return {"translator_calls": counts[emulator_port], "table_operations": counts[table_port], "seconds": seconds}


def run(job_counts: tuple[int, ...] = (100, 1000, 5000)) -> dict[str, dict[str, dict[str, Any]]]:
    """Per job count: {"this app": figures, "naive function": figures}."""
    results: dict[str, dict[str, dict[str, Any]]] = {}
    with running_azurite() as azurite:
        for count in job_counts:
            with emulator_process(workers=1, extra=NEVER_FINISH) as emulator:
                job_ids = start_jobs(azurite, emulator, count)
                results[str(count)] = {
                    "this app": tick_this_app(base_settings(azurite, emulator, uuid.uuid4().hex[:8], 2), job_ids),
                    "naive function": tick_naive(base_settings(azurite, emulator, uuid.uuid4().hex[:8], 2), job_ids),
                }
    return results


def markdown(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    lines = [
        "| jobs in flight | figure | this app | naive function | ratio |",
        "|---|---|---|---|---|",
    ]
    for count, approaches in results.items():
        ours, naive = approaches["this app"], approaches["naive function"]
        for key, label, fmt in FIGURES:
            ratio = f"{naive[key] / ours[key]:.2f}" if ours[key] else "–"
            lines.append(f"| {int(count):,} | {label} | {fmt.format(ours[key])} | {fmt.format(naive[key])} | {ratio} |")
    return "\n".join(lines)
