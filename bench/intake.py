"""Trigger throughput and memory: N blob events handled by one process (the dev stack's trigger concurrency, 8
threads) against Azurite and an emulator, each event running the blob trigger's whole work (validate, record, submit
with whatever waits). Reported per N: events per second, and the process's peak resident memory against its resident
memory once warmed up (the same process, before the first event).

Each N runs in a fresh process (`python -m bench.intake N --settings FILE`), so one N's peak never hides another's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from azure.storage.blob import BlobServiceClient, ContainerClient

from bench.harness import base_settings
from devstack.azurite import REPO_ROOT, running_azurite
from devstack.processes import emulator_process

TRIGGER_THREADS = 8
UPLOAD_THREADS = 32
FIGURES = (
    ("events_per_second", "blob events per second", "{:.1f}"),
    ("batches", "batches posted", "{:.0f}"),
    ("baseline_rss_mb", "resident MB, warmed up (baseline)", "{:.0f}"),
    ("peak_rss_mb", "peak resident MB", "{:.0f}"),
    ("growth_mb", "growth MB (peak − baseline)", "{:.1f}"),
)


def upload(container: ContainerClient, count: int) -> list[str]:
    """`count` small txt documents (the trigger never reads a txt's content)."""
    names = [f"intake/doc-{index:06}.txt" for index in range(count)]

    def put(name: str) -> None:
        container.upload_blob(name, f"{name}: the quick brown fox jumps over the lazy dog.\n".encode())

    with ThreadPoolExecutor(UPLOAD_THREADS) as pool:
        list(pool.map(put, names))
    return names


def handle_events(names: list[str], settings: dict[str, str]) -> dict[str, Any]:
    """In this process: one blob-trigger invocation per name, 8 at a time. The figures of the run."""
    os.environ.update(settings)
    from shared.handlers import handle_upload  # after the settings: the app reads them on first use
    from shared.services import current_services

    services = current_services()
    container = ContainerClient.from_connection_string(settings["DocumentStorage"], settings["SOURCE_CONTAINER"])
    services.translator.supported_extensions()  # warm: the first event pays for the formats list otherwise
    pending, lock = iter(names), threading.Lock()

    def trigger_thread() -> None:  # takes events one at a time: no queue of N tasks grows the memory measured
        while True:
            with lock:
                name = next(pending, None)
            if name is None:
                return
            handle_upload(container.get_blob_client(name))

    threads = [threading.Thread(target=trigger_thread) for _ in range(TRIGGER_THREADS)]
    baseline = _status_mb("VmRSS")
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    peak = _status_mb("VmHWM")  # not ru_maxrss: on Linux it keeps the parent's RSS at fork across exec
    jobs = services.ledger.active_jobs()
    return {
        "events": len(names),
        "seconds": seconds,
        "events_per_second": len(names) / seconds,
        "batches": len(jobs),
        "documents_submitted": sum(job.document_count for job in jobs),
        "baseline_rss_mb": baseline,
        "peak_rss_mb": peak,
        "growth_mb": peak - baseline,
    }


def run(counts: tuple[int, ...] = (1000, 5000, 10000)) -> dict[str, dict[str, Any]]:
    """Per N: the figures of a fresh process handling N events, on one Azurite and a fresh emulator each."""
    results: dict[str, dict[str, Any]] = {}
    with running_azurite() as azurite:
        service = BlobServiceClient.from_connection_string(azurite.connection_string)
        for count in counts:
            with emulator_process(workers=4) as emulator:
                settings = base_settings(azurite, emulator, uuid.uuid4().hex[:8], 2)
                source = service.create_container(settings["SOURCE_CONTAINER"])
                service.create_container(settings["TARGET_CONTAINER"])
                names = upload(source, count)
                results[str(count)] = _in_fresh_process(names, settings)
    return results


def _in_fresh_process(names: list[str], settings: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as folder:
        work = Path(folder, "work.json")
        work.write_text(json.dumps({"names": names, "settings": settings}))
        output = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [sys.executable, "-m", "bench.intake", "--work", str(work)],
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return json.loads(output.strip().splitlines()[-1])


def markdown(results: dict[str, dict[str, Any]]) -> str:
    """One column per N, each after the first with its ratio to the first (the baseline)."""
    counts = list(results)
    header = [f"N = {int(counts[0]):,} (baseline)"]
    header += [cell for count in counts[1:] for cell in (f"N = {int(count):,}", "ratio")]
    lines = ["| figure | " + " | ".join(header) + " |", "|---" * (len(header) + 1) + "|"]
    for key, label, fmt in FIGURES:
        base = results[counts[0]][key]
        cells = [fmt.format(base)]
        for count in counts[1:]:
            value = results[count][key]
            cells += [fmt.format(value), f"{value / base:.2f}" if base else "–"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc (VmRSS now, VmHWM its high-water mark), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not found")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.intake", description=__doc__)
    parser.add_argument("--work", type=Path, help="(internal) names and settings for one measured process")
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 5000, 10000])
    args = parser.parse_args()
    if args.work:
        work = json.loads(args.work.read_text())
        print(json.dumps(handle_events(work["names"], work["settings"])))
        return
    print(markdown(run(tuple(args.counts))))


if __name__ == "__main__":
    main()
