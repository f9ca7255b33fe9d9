"""Emulator throughput: documents/s for N small txt files (pseudo engine), 1 worker (baseline) vs 4 workers.

Run: `.venv/bin/python -m bench.emulator_throughput [N]`. Starts its own Azurite and emulators; asserts nothing.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import time

import requests
from azure.storage.blob import BlobServiceClient

from devstack.azurite import REPO_ROOT, container_sas_url, free_port, running_azurite, wait_for_port

KEY = "bench-key"


def measure(blob_url: str, service: BlobServiceClient, source: str, documents: int, workers: int) -> float:
    """Seconds from POST to Succeeded for one Folder batch of `documents` files, with `workers` workers."""
    port = free_port()
    emulator = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
        [sys.executable, "-m", "devstack.emulator", "--port", str(port), "--key", KEY, "--workers", str(workers)],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port("127.0.0.1", port)
        target = f"out-{workers}-{time.monotonic_ns()}"
        service.create_container(target)
        api = f"http://127.0.0.1:{port}/translator/document/batches"
        headers = {"Ocp-Apim-Subscription-Key": KEY}
        body = {
            "inputs": [
                {
                    "source": {"sourceUrl": container_sas_url(blob_url, source, "rl")},
                    "targets": [{"targetUrl": container_sas_url(blob_url, target, "rwl"), "language": "fr"}],
                }
            ]
        }
        started = time.perf_counter()
        response = requests.post(api, params={"api-version": "2024-05-01"}, json=body, headers=headers, timeout=60)
        response.raise_for_status()
        status_url = response.headers["Operation-Location"]
        while True:
            status = requests.get(status_url, headers=headers, timeout=30).json()
            if status["status"] in ("Succeeded", "Failed", "ValidationFailed", "Cancelled"):
                break
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        assert status["summary"]["success"] == documents, status
        return elapsed
    finally:
        emulator.terminate()
        emulator.wait(timeout=15)


def main(documents: int = 200) -> None:
    with running_azurite() as azurite:
        service = BlobServiceClient.from_connection_string(azurite.connection_string)
        service.create_container("bench-source")
        for i in range(documents):
            text = f"Document {i}: the quick brown fox jumps over the lazy dog.\nSecond line of document {i}.\n"
            service.get_blob_client("bench-source", f"doc-{i:04}.txt").upload_blob(text.encode())
        baseline = measure(azurite.blob_url, service, "bench-source", documents, workers=1)
        ours = measure(azurite.blob_url, service, "bench-source", documents, workers=4)
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, Azurite in-memory"
    )
    print(f"| workers | seconds for {documents} txt | documents/s | speed-up vs 1 worker |")
    print("|---|---|---|---|")
    print(f"| 1 (baseline) | {baseline:.2f} | {documents / baseline:.0f} | 1.00 |")
    print(f"| 4 | {ours:.2f} | {documents / ours:.0f} | {baseline / ours:.2f} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
