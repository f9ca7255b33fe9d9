"""Peak memory of the emulator translating one 40 MB document into two languages (documents stream through
spooled temporary files). Baseline: the same process idle, before the job.

Run: `.venv/bin/python -m bench.emulator_memory`. The emulator runs as its own process; its VmHWM is read from /proc.
"""

from __future__ import annotations

import platform

from azure.storage.blob import BlobServiceClient

from bench.common import no_arguments, run_folder_job
from devstack.azurite import running_azurite
from devstack.processes import emulator_process
from tests.support.office_documents import build_large_docx

MB = 1024 * 1024
LIMIT = 40 * MB


def big_txt() -> bytes:
    line = b"The quarterly report explains revenue, costs and the outlook for next year.\n"
    return line * ((LIMIT - MB) // len(line))


def measure(service: BlobServiceClient, blob_url: str, name: str, data: bytes) -> tuple[float, float, float]:
    source, target = f"src-{name.split('.')[1]}", f"out-{name.split('.')[1]}"
    service.create_container(source)
    service.create_container(target)
    service.get_blob_client(source, name).upload_blob(data)
    with emulator_process(workers=1) as emulator:
        idle = emulator.peak_rss_mb()
        seconds, status = run_folder_job(emulator, blob_url, source, target, ("fr", "de"))
        peak = emulator.peak_rss_mb()
    assert status["summary"]["success"] == 2, status
    return idle, peak, seconds


def main() -> None:
    documents = {"big.docx": build_large_docx(), "big.txt": big_txt()}
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, Azurite in-memory, 1 worker, pseudo")
    print(
        "| document | MB | idle RSS MB (baseline) | peak RSS MB | growth MB | growth / size | seconds (2 languages) |"
    )
    print("|---|---|---|---|---|---|---|")
    with running_azurite() as azurite:
        service = BlobServiceClient.from_connection_string(azurite.connection_string)
        for name, data in documents.items():
            size = len(data) / MB
            idle, peak, seconds = measure(service, azurite.blob_url, name, data)
            growth = peak - idle
            row = [name, f"{size:.1f}", f"{idle:.0f}", f"{peak:.0f}", f"{growth:.0f}", f"{growth / size:.2f}"]
            print(f"| {' | '.join(row)} | {seconds:.1f} |")


if __name__ == "__main__":
    no_arguments("bench.emulator_memory", __doc__)
    main()
