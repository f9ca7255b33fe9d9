"""Emulator throughput: documents/s for N small txt files (pseudo engine), 1 worker (baseline) vs 4 workers.

Run: `.venv/bin/python -m bench.emulator_throughput [N]`. Starts its own Azurite and emulators; asserts nothing.
"""

from __future__ import annotations

import platform

from azure.storage.blob import BlobServiceClient

from bench.common import documents_argument, run_folder_job
from devstack.azurite import running_azurite
from devstack.processes import emulator_process


def measure(blob_url: str, service: BlobServiceClient, source: str, documents: int, workers: int) -> float:
    target = f"out-{workers}"
    service.create_container(target)
    with emulator_process(workers=workers) as emulator:
        seconds, status = run_folder_job(emulator, blob_url, source, target)
    assert status["summary"]["success"] == documents, status
    return seconds


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
    main(documents_argument("bench.emulator_throughput", __doc__, 200))
