"""The emulator as a child process on a free port (benchmarks and tests that measure the process itself)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devstack.azurite import REPO_ROOT, free_port, wait_for_port

EMULATOR_KEY = "local-process-key"


@dataclass(frozen=True)
class EmulatorProcess:
    port: int
    pid: int

    def peak_rss_mb(self) -> float:
        """The process's high-water mark of resident memory (VmHWM), in MB."""
        return _status_kb(self.pid, "VmHWM") / 1024


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not found for process {pid}")


@contextmanager
def emulator_process(*, workers: int, extra: tuple[str, ...] = ()) -> Iterator[EmulatorProcess]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "devstack.emulator",
        "--port",
        str(port),
        "--key",
        EMULATOR_KEY,
        "--workers",
        str(workers),
    ]
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
