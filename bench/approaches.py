"""The three approaches every pipeline benchmark compares, each on a fresh emulator process (4 workers, pseudo engine)
against the same Azurite:

- this app: function_app.py under the local runner (the dev stack's trigger concurrency, 8);
- naive function: bench/naive_function_app.py under the same runner (one POST per file, one GET per job per tick);
- official client script: `DocumentTranslationClient.begin_translation(...)` per file as it arrives, `.result()`
  waited on in 16 threads.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from azure.ai.translation.document import DocumentTranslationClient
from azure.ai.translation.document.models import DocumentTranslationInput, TranslationTarget
from azure.core.credentials import AzureKeyCredential
from azure.storage.blob import BlobServiceClient

from bench.harness import (
    LANGUAGES,
    Arrivals,
    Run,
    base_settings,
    completion_queue,
    emulator_done_times,
    emulator_stats,
    local_runner,
    receive_all,
)
from devstack.azurite import AzuriteEndpoints, container_sas_url, running_azurite
from devstack.processes import EMULATOR_KEY, EmulatorProcess, emulator_process

POLL_SECONDS = 2
CLIENT_THREADS = 16
APPROACHES = ("this app", "naive function", "official client script")
FUNCTION_APPS = {"this app": "function_app", "naive function": "bench.naive_function_app"}


def run_all(documents: dict[str, bytes], arrivals: Arrivals, workdir: Path) -> dict[str, dict[str, Any]]:
    """Every approach on the same documents and arrivals, against one Azurite; their figures by approach."""
    with running_azurite() as azurite:
        return {
            approach: run_approach(approach, azurite, documents, arrivals, workdir).figures() for approach in APPROACHES
        }


def run_approach(
    approach: str, azurite: AzuriteEndpoints, documents: dict[str, bytes], arrivals: Arrivals, workdir: Path
) -> Run:
    if approach in FUNCTION_APPS:
        return _run_function_app(approach, azurite, documents, arrivals, workdir)
    return _run_client_script(azurite, documents, arrivals)


def _run_function_app(
    approach: str, azurite: AzuriteEndpoints, documents: dict[str, bytes], arrivals: Arrivals, workdir: Path
) -> Run:
    """A function app under the local runner: documents arrive, every announcement is awaited on its queue."""
    suffix = uuid.uuid4().hex[:8]
    with emulator_process(workers=4) as emulator:
        settings = base_settings(azurite, emulator, suffix, POLL_SECONDS)
        service = BlobServiceClient.from_connection_string(azurite.connection_string)
        for container in (settings["SOURCE_CONTAINER"], settings["TARGET_CONTAINER"]):
            service.create_container(container)
        queue = completion_queue(azurite.connection_string, settings["COMPLETION_QUEUE"])
        with local_runner(FUNCTION_APPS[approach], settings, workdir / suffix), ThreadPoolExecutor(1) as uploader:
            started = time.time()
            uploads = uploader.submit(arrivals.upload, service, settings["SOURCE_CONTAINER"], documents)
            timeout = 60 + len(documents) * (1 + arrivals.interval)
            announced = receive_all(queue, set(documents), _name_in(approach), timeout=timeout)
            uploaded = uploads.result()
        return _finish(approach, emulator, started, uploaded, announced)


def _run_client_script(azurite: AzuriteEndpoints, documents: dict[str, bytes], arrivals: Arrivals) -> Run:
    """What a user writes with the official client: one begin_translation per file as it arrives, waited on."""
    suffix = uuid.uuid4().hex[:8]
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    source, target = f"source-{suffix}", f"target-{suffix}"
    for container in (source, target):
        service.create_container(container)
    with emulator_process(workers=4) as emulator, ThreadPoolExecutor(CLIENT_THREADS) as pool:
        client = DocumentTranslationClient(f"http://127.0.0.1:{emulator.port}", AzureKeyCredential(EMULATOR_KEY))

        def translate(name: str) -> float:
            targets = [
                TranslationTarget(
                    target_url=container_sas_url(azurite.blob_url, target, "rw", name=f"{language}/{name}"),
                    language=language,
                )
                for language in LANGUAGES
            ]
            source_url = container_sas_url(azurite.blob_url, source, "r", name=name)
            client.begin_translation([DocumentTranslationInput(source_url, targets, storage_type="File")]).result()
            return time.time()

        futures: dict[str, Future[float]] = {}
        started = time.time()
        uploaded = arrivals.upload(
            service, source, documents, lambda name: futures.update({name: pool.submit(translate, name)})
        )
        announced = {name: future.result() for name, future in futures.items()}
        return _finish("official client script", emulator, started, uploaded, announced)


def _finish(
    approach: str, emulator: EmulatorProcess, started: float, uploaded: dict[str, float], announced: dict[str, float]
) -> Run:
    calls = emulator_stats(emulator)  # before the emulator's own completion times are read
    return Run(approach, started, uploaded, announced, emulator_done_times(emulator), calls)


def _name_in(approach: str) -> Callable[[dict[str, Any]], str]:
    """The source document a completion message is about (this app: CloudEvents; the naive app: its own JSON)."""
    if approach == "this app":
        return lambda event: event["data"]["source"]["name"]
    return lambda message: message["name"]
