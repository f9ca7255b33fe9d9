"""Shared by the emulator benchmarks: an emulator as its own process, and one Folder job timed from POST to end."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from devstack.azurite import REPO_ROOT, container_sas_url, free_port, wait_for_port

KEY = "bench-key"
TERMINAL = ("Succeeded", "Failed", "ValidationFailed", "Cancelled")


@dataclass(frozen=True)
class EmulatorProcess:
    port: int
    pid: int

    def peak_rss_mb(self) -> float:
        """The process's high-water mark of resident memory (VmHWM), in MB."""
        return _status_kb(self.pid, "VmHWM") / 1024

    def rss_mb(self) -> float:
        return _status_kb(self.pid, "VmRSS") / 1024


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not found for process {pid}")


@contextmanager
def emulator_process(*, workers: int, extra: tuple[str, ...] = ()) -> Iterator[EmulatorProcess]:
    port = free_port()
    command = [sys.executable, "-m", "devstack.emulator", "--port", str(port), "--key", KEY, "--workers", str(workers)]
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
        [*command, *extra],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port("127.0.0.1", port)
        yield EmulatorProcess(port, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=15)


def run_folder_job(
    emulator: EmulatorProcess, blob_url: str, source: str, target: str, languages: tuple[str, ...] = ("fr",)
) -> tuple[float, dict[str, Any]]:
    """Seconds from POST to a terminal status for one Folder job, and that final status."""
    api = f"http://127.0.0.1:{emulator.port}/translator/document/batches"
    headers = {"Ocp-Apim-Subscription-Key": KEY}
    targets = [{"targetUrl": _folder_url(blob_url, target, language), "language": language} for language in languages]
    body = {"inputs": [{"source": {"sourceUrl": container_sas_url(blob_url, source, "rl")}, "targets": targets}]}
    started = time.perf_counter()
    response = requests.post(api, params={"api-version": "2024-05-01"}, json=body, headers=headers, timeout=120)
    response.raise_for_status()
    status_url = response.headers["Operation-Location"]
    while True:
        status = requests.get(status_url, headers=headers, timeout=30).json()
        if status["status"] in TERMINAL:
            return time.perf_counter() - started, status
        time.sleep(0.02)


def _folder_url(blob_url: str, container: str, folder: str) -> str:
    """A container SAS URL pointing at a folder inside it (outputs of each language in their own folder)."""
    url = container_sas_url(blob_url, container, "rwl")
    base, query = url.split("?", 1)
    return f"{base}/{folder}?{query}"
