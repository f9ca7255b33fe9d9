"""What every pipeline benchmark needs: Azurite, an emulator process per approach, a local runner for a function app,
uploads with their times, announcements with theirs, the emulator's own completion times, and the figures."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import requests
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueClient, TextBase64DecodePolicy

from devstack.azurite import REPO_ROOT, AzuriteEndpoints, free_port
from devstack.processes import EMULATOR_KEY, EmulatorProcess
from devstack.samples import sample_documents

API_VERSION = {"api-version": "2024-05-01"}
LANGUAGES = ("fr", "de")


def mixed_documents(count: int) -> dict[str, bytes]:
    """`count` small documents, three txt for each docx (what a burst of office uploads looks like)."""
    docx = sample_documents()["reports/q3.docx"]
    return {
        (f"burst/doc-{index:05}.docx" if index % 4 == 3 else f"burst/doc-{index:05}.txt"): (
            docx if index % 4 == 3 else f"Document {index}: the quick brown fox jumps over the lazy dog.\n".encode()
        )
        for index in range(count)
    }


@dataclass(frozen=True)
class Arrivals:
    """How documents arrive: all at once (16 uploads at a time), or one every `interval` seconds."""

    interval: float = 0.0

    def upload(
        self,
        service: BlobServiceClient,
        container: str,
        documents: dict[str, bytes],
        on_uploaded: Callable[[str], None] = lambda name: None,
    ) -> dict[str, float]:
        """Upload the documents into an existing container; returns each one's upload time (epoch seconds)."""

        def upload(item: tuple[str, bytes]) -> tuple[str, float]:
            service.get_blob_client(container, item[0]).upload_blob(item[1])
            moment = time.time()
            on_uploaded(item[0])
            return item[0], moment

        if not self.interval:
            with ThreadPoolExecutor(16) as pool:
                return dict(pool.map(upload, documents.items()))
        uploaded = {}
        for index, item in enumerate(documents.items()):
            if index:
                time.sleep(self.interval)
            name, moment = upload(item)
            uploaded[name] = moment
        return uploaded


def receive_all(
    queue: QueueClient, expected: set[str], name_of: Callable[[dict[str, Any]], str], timeout: float
) -> dict[str, float]:
    """Arrival time (epoch seconds) of the first message for each expected document."""
    arrived: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while set(arrived) < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(arrived)} of {len(expected)} announcements after {timeout:.0f} s")
        batch = list(queue.receive_messages(messages_per_page=32, max_messages=32))
        now = time.time()
        for message in batch:
            arrived.setdefault(name_of(json.loads(message.content)), now)
            queue.delete_message(message)
        if not batch:
            time.sleep(0.1)
    return arrived


def completion_queue(connection_string: str, name: str) -> QueueClient:
    queue = QueueClient.from_connection_string(connection_string, name, message_decode_policy=TextBase64DecodePolicy())
    queue.create_queue()
    return queue


def emulator_stats(emulator: EmulatorProcess) -> dict[str, dict[str, int]]:
    return requests.get(f"http://127.0.0.1:{emulator.port}/emulator/stats", timeout=30).json()["requests"]


def emulator_done_times(emulator: EmulatorProcess) -> dict[str, float]:
    """When the emulator itself finished each source document (its last target), by blob name. Read after the run's
    figures were taken: these calls are not counted."""
    api, headers = (
        f"http://127.0.0.1:{emulator.port}/translator/document/batches",
        {"Ocp-Apim-Subscription-Key": EMULATOR_KEY},
    )
    done: dict[str, float] = {}
    for job in _pages(api, headers):
        for document in _pages(f"{api}/{job['id']}/documents", headers):
            name = unquote(document["sourcePath"].split("?")[0].split("/", 5)[-1])
            moment = datetime.fromisoformat(document["lastActionDateTimeUtc"].replace("Z", "+00:00")).timestamp()
            done[name] = max(done.get(name, 0.0), moment)
    return done


def _pages(url: str, headers: dict[str, str]) -> Iterator[dict[str, Any]]:
    page = requests.get(url, params={**API_VERSION, "$maxpagesize": "100"}, headers=headers, timeout=60).json()
    yield from page["value"]
    while page.get("@nextLink"):
        page = requests.get(page["@nextLink"], headers=headers, timeout=60).json()
        yield from page["value"]


@contextmanager
def app_settings(settings: dict[str, str]) -> Iterator[None]:
    """These app settings in this process's environment until the block ends, then the environment as it was (a
    setting left behind would reach every runner started later: the runner lets the environment win)."""
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def local_runner(app_module: str, settings: dict[str, str], workdir: Path) -> Iterator[None]:
    """`python -m devstack host` for `app_module` with these settings, until the block ends."""
    workdir.mkdir(parents=True, exist_ok=True)
    settings_path = workdir / "local.settings.json"
    settings_path.write_text(json.dumps({"IsEncrypted": False, "Values": settings}, indent=2))
    log = workdir / "host.log"
    command = [sys.executable, "-m", "devstack", "host", "--settings", str(settings_path), "--port", str(free_port())]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
            [*command, "--app", app_module],
            cwd=REPO_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={name: value for name, value in os.environ.items() if name not in settings},  # the file wins
        )
    try:
        deadline = time.monotonic() + 60
        while "Host started" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the local runner did not start:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(timeout=60)


def base_settings(
    azurite: AzuriteEndpoints, emulator: EmulatorProcess, suffix: str, poll_seconds: int
) -> dict[str, str]:
    return {
        "FUNCTIONS_WORKER_RUNTIME": "python",
        "AzureWebJobsStorage": azurite.connection_string,
        "DocumentStorage": azurite.connection_string,
        "SOURCE_CONTAINER": f"source-{suffix}",
        "TARGET_CONTAINER": f"target-{suffix}",
        "TARGET_LANGUAGES": ",".join(LANGUAGES),
        "COMPLETION_QUEUE": f"completed-{suffix}",
        "OUTBOX_QUEUE": f"outbox-{suffix}",
        "STATE_TABLE": f"state{suffix}",
        "TRANSLATOR_ENDPOINT": f"http://127.0.0.1:{emulator.port}",
        "TRANSLATOR_KEY": EMULATOR_KEY,
        "POLL_SCHEDULE": f"*/{poll_seconds} * * * * *",
    }


@dataclass
class Run:
    """One approach's run: when each document was uploaded, announced, and finished by the emulator."""

    approach: str
    started: float
    uploaded: dict[str, float]
    announced: dict[str, float]
    emulator_done: dict[str, float]
    calls: dict[str, dict[str, int]]
    extra: dict[str, Any] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        latencies = sorted(self.announced[name] - self.uploaded[name] for name in self.announced)
        overheads = sorted(
            self.announced[name] - self.emulator_done[name] for name in self.announced if name in self.emulator_done
        )
        total = sum(sum(codes.values()) for codes in self.calls.values())
        return {
            "documents": len(self.announced),
            "batches": self.calls.get("start_translation", {}).get("202", 0),
            "translator_calls": total,
            "calls_per_document": total / len(self.announced),
            "seconds_to_last_announcement": max(self.announced.values()) - self.started,
            "latency_p50": _percentile(latencies, 50),
            "latency_p95": _percentile(latencies, 95),
            "latency_max": latencies[-1],
            "overhead_p50": _percentile(overheads, 50),
            "overhead_p95": _percentile(overheads, 95),
            "calls_by_operation": {operation: sum(codes.values()) for operation, codes in self.calls.items()},
            "latencies": [round(value, 3) for value in latencies],
            **self.extra,
        }


def _percentile(values: list[float], percent: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]
